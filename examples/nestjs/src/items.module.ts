import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
} from '@nestjs/common'
import { activeSpan } from '@tracehop/core'
import { ItemsController } from './items.controller.js'
import { INVENTORY, type InventoryClient, ItemsService } from './items.service.js'

/** The items feature: GET /items/:id, and the provider that asks the inventory service. */
@Module({ controllers: [ItemsController], providers: [ItemsService] })
export class ItemsModule implements NestModule {
  /** The module, calling the inventory service through `inventory` (its URL and traced fetch). */
  static forInventory(inventory: InventoryClient): DynamicModule {
    return { module: ItemsModule, providers: [{ provide: INVENTORY, useValue: inventory }] }
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(tagTenant).forRoutes(ItemsController)
  }
}

// Nest middleware runs inside the request's span too (on Fastify, Nest hands it Node's request).
function tagTenant(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
  const tenant = req.headers['x-tenant-id']
  if (typeof tenant === 'string') activeSpan()?.setTag('tenant.id', tenant)
  next()
}
