import { Controller, Get, Inject, Param } from '@nestjs/common'
import { type Item, ItemsService } from './items.service.js'

/** GET /api/items/:id (the `api` prefix is the app's global prefix). */
@Controller('items')
export class ItemsController {
  constructor(@Inject(ItemsService) private readonly items: ItemsService) {}

  @Get(':id')
  findOne(@Param('id') id: string): Promise<Item> {
    return this.items.findOne(id)
  }
}
