// A tiny exchange: users' wallets and a limit order book for one market
// (ACME shares priced in USD, whole units only). Orders match by price, then
// time; a trade executes at the price of the order that was waiting.
import { badRequest } from '../http/http-error.js';

export type Side = 'buy' | 'sell';

export interface Balances {
  /** Whole dollars available to spend. */
  USD: number;
  /** Whole shares available to sell. */
  ACME: number;
}

export interface TradeOrder {
  readonly id: number;
  readonly userId: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  remaining: number;
  readonly createdAt: string;
}

export interface Trade {
  readonly id: number;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly buyOrderId: number;
  readonly sellOrderId: number;
  readonly price: number;
  readonly quantity: number;
  readonly at: string;
}

export const STARTING_BALANCES: Readonly<Balances> = { USD: 10_000, ACME: 100 };

export class Exchange {
  private readonly wallets = new Map<string, Balances>();
  private readonly book: TradeOrder[] = [];
  private readonly trades: Trade[] = [];
  private nextOrderId = 1;
  private nextTradeId = 1;

  balances(userId: string): Balances {
    let wallet = this.wallets.get(userId);
    if (!wallet) {
      wallet = { ...STARTING_BALANCES };
      this.wallets.set(userId, wallet);
    }
    return wallet;
  }

  openOrders(userId: string): TradeOrder[] {
    return this.book.filter((o) => o.userId === userId).map((o) => ({ ...o }));
  }

  history(userId: string): Trade[] {
    return this.trades.filter((t) => t.buyerId === userId || t.sellerId === userId).reverse();
  }

  /**
   * Places a limit order: what it pays for (dollars for a buy, shares for a
   * sell) is set aside at once, then it is matched against the book.
   */
  place(userId: string, side: Side, price: number, quantity: number): { order: TradeOrder; trades: Trade[] } {
    if (side !== 'buy' && side !== 'sell') throw badRequest('side must be buy or sell');
    if (!Number.isInteger(price) || price <= 0) throw badRequest('price must be a positive whole number of dollars');
    if (!Number.isInteger(quantity) || quantity <= 0) throw badRequest('quantity must be a positive whole number');
    const wallet = this.balances(userId);
    if (side === 'buy') {
      if (wallet.USD < price * quantity) throw badRequest('not enough USD');
      wallet.USD -= price * quantity;
    } else {
      if (wallet.ACME < quantity) throw badRequest('not enough ACME');
      wallet.ACME -= quantity;
    }
    const order: TradeOrder = { id: this.nextOrderId++, userId, side, price, quantity, remaining: quantity, createdAt: new Date().toISOString() };
    const trades = this.match(order);
    if (order.remaining > 0) this.book.push(order);
    return { order, trades };
  }

  private match(incoming: TradeOrder): Trade[] {
    const trades: Trade[] = [];
    const crosses = (resting: TradeOrder) =>
      resting.side !== incoming.side &&
      resting.userId !== incoming.userId &&
      (incoming.side === 'buy' ? resting.price <= incoming.price : resting.price >= incoming.price);
    while (incoming.remaining > 0) {
      const candidates = this.book.filter(crosses);
      // Best price first (lowest ask for a buy, highest bid for a sell); the book is in time order already.
      candidates.sort((a, b) => (incoming.side === 'buy' ? a.price - b.price : b.price - a.price));
      const resting = candidates[0];
      if (!resting) break;
      const quantity = Math.min(incoming.remaining, resting.remaining);
      const buy = incoming.side === 'buy' ? incoming : resting;
      const sell = incoming.side === 'sell' ? incoming : resting;
      const trade: Trade = {
        id: this.nextTradeId++,
        buyerId: buy.userId,
        sellerId: sell.userId,
        buyOrderId: buy.id,
        sellOrderId: sell.id,
        price: resting.price,
        quantity,
        at: new Date().toISOString(),
      };
      this.settle(trade, buy);
      incoming.remaining -= quantity;
      resting.remaining -= quantity;
      if (resting.remaining === 0) this.book.splice(this.book.indexOf(resting), 1);
      this.trades.push(trade);
      trades.push(trade);
    }
    return trades;
  }

  private settle(trade: Trade, buy: TradeOrder): void {
    const buyer = this.balances(trade.buyerId);
    const seller = this.balances(trade.sellerId);
    buyer.ACME += trade.quantity;
    // The buyer set aside its own limit price; it gets back what it did not need.
    buyer.USD += (buy.price - trade.price) * trade.quantity;
    seller.USD += trade.price * trade.quantity;
  }
}
