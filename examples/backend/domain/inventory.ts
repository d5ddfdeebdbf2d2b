// Stock per menu item. Crossing a threshold is what the admin monitor hears
// about: running low, running out, and coming back.
export type StockLevel = 'low' | 'out' | 'restock';

export interface StockItem {
  readonly sku: string;
  readonly name: string;
  quantity: number;
}

export interface StockAlert {
  readonly sku: string;
  readonly name: string;
  readonly level: StockLevel;
  readonly quantity: number;
}

/** At or below this many left, an item is running low. */
export const LOW_STOCK = 5;

function levelOf(quantity: number): 'ok' | 'low' | 'out' {
  if (quantity <= 0) return 'out';
  return quantity <= LOW_STOCK ? 'low' : 'ok';
}

export class Inventory {
  private readonly items = new Map<string, StockItem>();

  add(sku: string, name: string, quantity: number): void {
    this.items.set(sku, { sku, name, quantity });
  }

  list(): StockItem[] {
    return [...this.items.values()].map((i) => ({ ...i }));
  }

  get(sku: string): StockItem | undefined {
    return this.items.get(sku);
  }

  /** Sets the quantity; returns the alert to raise when the item changed level. */
  setQuantity(sku: string, quantity: number): StockAlert | null {
    const item = this.items.get(sku);
    if (!item) return null;
    const before = levelOf(item.quantity);
    item.quantity = Math.max(0, quantity);
    const after = levelOf(item.quantity);
    if (before === after) return null;
    // Coming back from out, even to merely low, is a restock for whoever watches.
    const level: StockLevel = after === 'ok' || before === 'out' ? 'restock' : after;
    return { sku, name: item.name, level, quantity: item.quantity };
  }
}
