// Vendors, their menus and customers' orders, with the status changes a
// vendor may make.
import { conflict, forbidden, notFound } from '../http/http-error.js';
import type { Inventory, StockAlert } from './inventory.js';
import type { User } from './users.js';

export interface MenuItem {
  readonly sku: string;
  readonly name: string;
  /** In cents. */
  readonly price: number;
}

export interface Vendor {
  readonly id: string;
  readonly name: string;
  readonly menu: readonly MenuItem[];
}

export type OrderStatus = 'placed' | 'accepted' | 'cancelled' | 'ready_for_pickup';

export interface Order {
  readonly id: number;
  readonly vendorId: string;
  readonly vendorName: string;
  readonly customerId: string;
  readonly customerName: string;
  readonly item: string;
  readonly total: number;
  status: OrderStatus;
  readonly createdAt: string;
  updatedAt: string;
}

/** What the public order board may show: no customer names. */
export type BoardOrder = Omit<Order, 'customerId' | 'customerName'>;

export const boardView = ({ customerId: _id, customerName: _name, ...order }: Order): BoardOrder => ({ ...order });

const NEXT_STATUSES: Record<OrderStatus, readonly OrderStatus[]> = {
  placed: ['accepted', 'cancelled'],
  accepted: ['ready_for_pickup', 'cancelled'],
  ready_for_pickup: [],
  cancelled: [],
};

export const VENDOR_STATUSES = ['accepted', 'cancelled', 'ready_for_pickup'] as const;

export const DEMO_VENDORS: readonly Vendor[] = [
  {
    id: '1',
    name: "Luigi's Pizza",
    menu: [
      { sku: 'pizza-margherita', name: 'Margherita', price: 900 },
      { sku: 'pizza-diavola', name: 'Diavola', price: 1100 },
    ],
  },
  {
    id: '2',
    name: 'Sakura Sushi',
    menu: [
      { sku: 'sushi-salmon', name: 'Salmon nigiri', price: 1200 },
      { sku: 'sushi-veggie', name: 'Veggie maki', price: 800 },
    ],
  },
];

export class Orders {
  private readonly orders = new Map<number, Order>();
  private nextId = 1;

  constructor(
    private readonly inventory: Inventory,
    readonly vendors: readonly Vendor[] = DEMO_VENDORS,
  ) {
    for (const vendor of vendors) for (const item of vendor.menu) inventory.add(item.sku, `${item.name} (${vendor.name})`, 20);
  }

  list(): Order[] {
    return [...this.orders.values()].reverse();
  }

  get(id: number): Order | undefined {
    return this.orders.get(id);
  }

  forVendor(vendorId: string): Order[] {
    return this.list().filter((o) => o.vendorId === vendorId);
  }

  forCustomer(customerId: string): Order[] {
    return this.list().filter((o) => o.customerId === customerId);
  }

  /** Places an order and takes one from stock; the stock alert, if any, comes back with it. */
  place(customer: User, vendorId: string, sku: string): { order: Order; stockAlert: StockAlert | null } {
    const vendor = this.vendors.find((v) => v.id === vendorId);
    if (!vendor) throw notFound(`vendor ${vendorId}`);
    const item = vendor.menu.find((m) => m.sku === sku);
    if (!item) throw notFound(`item ${sku}`);
    const stock = this.inventory.get(sku);
    if (!stock || stock.quantity <= 0) throw conflict(`${item.name} is sold out`);
    const stockAlert = this.inventory.setQuantity(sku, stock.quantity - 1);
    const now = new Date().toISOString();
    const order: Order = {
      id: this.nextId++,
      vendorId,
      vendorName: vendor.name,
      customerId: customer.id,
      customerName: customer.name,
      item: item.name,
      total: item.price,
      status: 'placed',
      createdAt: now,
      updatedAt: now,
    };
    this.orders.set(order.id, order);
    return { order, stockAlert };
  }

  /** A vendor moves one of its own orders on. */
  setStatus(vendorId: string, orderId: number, status: OrderStatus): Order {
    const order = this.orders.get(orderId);
    if (!order) throw notFound(`order ${orderId}`);
    if (order.vendorId !== vendorId) throw forbidden('not your order');
    if (!NEXT_STATUSES[order.status].includes(status)) throw conflict(`an order that is ${order.status} cannot become ${status}`);
    order.status = status;
    order.updatedAt = new Date().toISOString();
    return order;
  }
}
