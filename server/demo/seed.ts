import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The bundled demo: a small bookshop in `<dataDir>/databases/demo.sqlite` (the default SQLite
 * folder, LAZYDB_SQLITE_DIRS), built locally (no download)
 * the first time lazydb starts. It is chosen to show the product on first sight: relations
 * both ways, a composite key, a view, a reserved word as a table name (`order`), dates,
 * timestamps, exact prices, booleans, JSON and a CHECK-constrained status.
 */

export const DEMO_FILE_NAME = 'demo.sqlite';
/** The folder below the data folder that LAZYDB_SQLITE_DIRS allows by default. */
export const DEMO_FOLDER = 'databases';

/** Where the demo database lives: `<dataDir>/databases/demo.sqlite`. */
export function demoFilePath(dataDir: string): string {
  return path.resolve(dataDir, DEMO_FOLDER, DEMO_FILE_NAME);
}

/** Where versions before the SQLite folders kept it: `<dataDir>/demo.sqlite`. */
export function legacyDemoFilePath(dataDir: string): string {
  return path.resolve(dataDir, DEMO_FILE_NAME);
}

/** Creates `<dataDir>/databases/demo.sqlite` unless it exists; returns its absolute path. */
export async function ensureDemoDatabase(dataDir: string, options: { reset?: boolean } = {}): Promise<string> {
  const target = demoFilePath(dataDir);
  if (options.reset) fs.rmSync(target, { force: true });
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Built next to the target and renamed into place, so a crash never leaves half a demo behind.
  const building = `${target}.${process.pid}.building`;
  fs.rmSync(building, { force: true });
  const db = new Database(building);
  try {
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      db.exec(DEMO_SCHEMA);
      insertRows(db);
    })();
  } finally {
    db.close();
  }
  try {
    fs.renameSync(building, target);
  } catch (error) {
    fs.rmSync(building, { force: true });
    if (!fs.existsSync(target)) throw error;
  }
  return target;
}

const DEMO_SCHEMA = `
CREATE TABLE author (
  author_id  INTEGER PRIMARY KEY,
  name       VARCHAR(100) NOT NULL UNIQUE,
  born       DATE,
  country    VARCHAR(60),
  bio        TEXT
);

CREATE TABLE book (
  book_id    INTEGER PRIMARY KEY,
  title      VARCHAR(200) NOT NULL,
  author_id  INTEGER NOT NULL REFERENCES author (author_id),
  published  DATE,
  isbn       CHAR(13) UNIQUE,
  price      DECIMAL(8,2) NOT NULL CHECK (price >= 0),
  in_stock   BOOLEAN NOT NULL DEFAULT 1,
  details    JSON
);

CREATE TABLE customer (
  customer_id INTEGER PRIMARY KEY,
  email       VARCHAR(200) NOT NULL UNIQUE,
  full_name   VARCHAR(100) NOT NULL,
  joined_at   DATETIME NOT NULL,
  newsletter  BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE "order" (
  order_id    INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
  placed_at   DATETIME NOT NULL,
  status      VARCHAR(10) NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  note        TEXT
);

CREATE TABLE order_item (
  order_id   INTEGER NOT NULL REFERENCES "order" (order_id),
  book_id    INTEGER NOT NULL REFERENCES book (book_id),
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  unit_price DECIMAL(8,2) NOT NULL,
  PRIMARY KEY (order_id, book_id)
);

CREATE VIEW book_sales AS
  SELECT b.book_id,
         b.title,
         a.name AS author,
         COALESCE(SUM(i.quantity), 0) AS copies_sold,
         ROUND(COALESCE(SUM(i.quantity * i.unit_price), 0), 2) AS revenue
    FROM book b
    JOIN author a ON a.author_id = b.author_id
    LEFT JOIN (SELECT oi.book_id, oi.quantity, oi.unit_price
                 FROM order_item oi
                 JOIN "order" o ON o.order_id = oi.order_id
                WHERE o.status <> 'cancelled') i ON i.book_id = b.book_id
   GROUP BY b.book_id, b.title, a.name;
`;

type Row = Record<string, string | number | null>;

const AUTHORS: Row[] = [
  { author_id: 1, name: 'Jane Austen', born: '1775-12-16', country: 'England', bio: 'Novelist of manners, irony and the English gentry.' },
  { author_id: 2, name: 'Gabriel García Márquez', born: '1927-03-06', country: 'Colombia', bio: 'Nobel laureate; magical realism.' },
  { author_id: 3, name: 'Ursula K. Le Guin', born: '1929-10-21', country: 'United States', bio: null },
  { author_id: 4, name: 'Haruki Murakami', born: '1949-01-12', country: 'Japan', bio: 'Cats, wells, jazz records and parallel worlds.' },
  { author_id: 5, name: 'Chimamanda Ngozi Adichie', born: '1977-09-15', country: 'Nigeria', bio: null },
];

const json = (value: unknown) => JSON.stringify(value);

const BOOKS: Row[] = [
  { book_id: 1, title: 'Pride and Prejudice', author_id: 1, published: '1813-01-28', isbn: '9780141439518', price: 9.99, in_stock: 1, details: json({ pages: 432, format: 'paperback', tags: ['classic', 'romance'] }) },
  { book_id: 2, title: 'Emma', author_id: 1, published: '1815-12-23', isbn: '9780141439587', price: 8.5, in_stock: 0, details: json({ pages: 474, format: 'paperback', tags: ['classic'] }) },
  { book_id: 3, title: 'One Hundred Years of Solitude', author_id: 2, published: '1967-05-30', isbn: '9780060883287', price: 16.0, in_stock: 1, details: json({ pages: 417, translated: { from: 'es', by: 'Gregory Rabassa' } }) },
  { book_id: 4, title: 'Love in the Time of Cholera', author_id: 2, published: '1985-09-05', isbn: '9780307389732', price: 15.5, in_stock: 1, details: null },
  { book_id: 5, title: 'The Left Hand of Darkness', author_id: 3, published: '1969-03-01', isbn: '9780441478125', price: 12.75, in_stock: 1, details: json({ pages: 304, awards: ['Hugo', 'Nebula'] }) },
  { book_id: 6, title: 'A Wizard of Earthsea', author_id: 3, published: '1968-11-01', isbn: '9780547773742', price: 10.99, in_stock: 1, details: json({ series: { name: 'Earthsea', number: 1 } }) },
  { book_id: 7, title: 'Kafka on the Shore', author_id: 4, published: '2002-09-12', isbn: '9781400079278', price: 17.0, in_stock: 1, details: json({ pages: 467, translated: { from: 'ja', by: 'Philip Gabriel' } }) },
  { book_id: 8, title: 'Norwegian Wood', author_id: 4, published: '1987-09-04', isbn: null, price: 14.25, in_stock: 0, details: null },
  { book_id: 9, title: 'Americanah', author_id: 5, published: '2013-05-14', isbn: '9780307455925', price: 13.99, in_stock: 1, details: json({ pages: 588, tags: ['contemporary'] }) },
];

const CUSTOMERS: Row[] = [
  { customer_id: 1, email: 'ada@example.com', full_name: 'Ada Lovelace', joined_at: '2024-01-15 09:30:00', newsletter: 1 },
  { customer_id: 2, email: 'grace@example.com', full_name: 'Grace Hopper', joined_at: '2024-02-03 14:05:12', newsletter: 0 },
  { customer_id: 3, email: 'alan@example.org', full_name: 'Alan Turing', joined_at: '2024-03-21 18:45:00', newsletter: 1 },
  { customer_id: 4, email: 'zoe@example.net', full_name: 'Zoë Ørsted', joined_at: '2024-05-09 07:00:59', newsletter: 0 },
];

const ORDERS: Row[] = [
  { order_id: 1, customer_id: 1, placed_at: '2024-04-01 10:15:00', status: 'shipped', note: 'Gift wrap, please' },
  { order_id: 2, customer_id: 1, placed_at: '2024-06-12 16:40:00', status: 'paid', note: null },
  { order_id: 3, customer_id: 2, placed_at: '2024-06-20 08:05:30', status: 'new', note: null },
  { order_id: 4, customer_id: 3, placed_at: '2024-07-02 12:00:00', status: 'cancelled', note: 'Changed my mind' },
  { order_id: 5, customer_id: 4, placed_at: '2024-07-15 19:22:10', status: 'shipped', note: null },
];

const ORDER_ITEMS: Row[] = [
  { order_id: 1, book_id: 1, quantity: 1, unit_price: 9.99 },
  { order_id: 1, book_id: 5, quantity: 2, unit_price: 12.75 },
  { order_id: 2, book_id: 3, quantity: 1, unit_price: 16.0 },
  { order_id: 3, book_id: 7, quantity: 1, unit_price: 17.0 },
  { order_id: 3, book_id: 9, quantity: 3, unit_price: 13.99 },
  { order_id: 4, book_id: 6, quantity: 1, unit_price: 10.99 },
  { order_id: 5, book_id: 1, quantity: 2, unit_price: 9.5 },
  { order_id: 5, book_id: 4, quantity: 1, unit_price: 15.5 },
];

function insertRows(db: Database.Database): void {
  const insert = (table: string, rows: Row[]) => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const statement = db.prepare(
      `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    for (const row of rows) statement.run(row);
  };
  insert('author', AUTHORS);
  insert('book', BOOKS);
  insert('customer', CUSTOMERS);
  insert('order', ORDERS);
  insert('order_item', ORDER_ITEMS);
}
