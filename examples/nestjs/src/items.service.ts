import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common'
import { activeSpan, traceIds } from '@tracehop/core'

/** Injection token of the inventory service's client (an InventoryClient). */
export const INVENTORY = Symbol('INVENTORY')

/** Where the inventory service (the next hop) lives, and the traced fetch that calls it. */
export interface InventoryClient {
  /** The inventory service's base URL, e.g. `http://127.0.0.1:8081`. */
  baseUrl: string
  /** A fetch wrapped by tracedFetch(), so the call is a child span of the request's span. */
  fetch: typeof fetch
}

/** An item as the API answers it. */
export interface Item {
  id: string
  stock: number
  /** The trace id of the request, for a caller correlating its logs. */
  traceId: string | undefined
}

/** The provider behind GET /api/items/:id: tags the request's span and asks the inventory. */
@Injectable()
export class ItemsService {
  private readonly logger = new Logger(ItemsService.name)

  // tsx (esbuild) emits no decorator metadata: the explicit token works under tsx and tsc alike.
  constructor(@Inject(INVENTORY) private readonly inventory: InventoryClient) {}

  async findOne(id: string): Promise<Item> {
    // The request's server span, active in every provider the handler calls, after awaits too.
    activeSpan()?.setTag('item.id', id)
    const response = await this.inventory.fetch(
      `${this.inventory.baseUrl}/stock/${encodeURIComponent(id)}`,
    )
    const traceId = traceIds()?.traceId
    this.logger.log(`item ${id}: inventory answered ${response.status} (trace ${traceId ?? '-'})`)
    if (response.status === 404) throw new NotFoundException(`item ${id} not found`)
    if (!response.ok) throw new Error(`inventory answered ${response.status}`)
    const { stock } = (await response.json()) as { stock: number }
    return { id, stock, traceId }
  }
}
