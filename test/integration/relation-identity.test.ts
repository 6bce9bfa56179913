import { describe, expect, it } from 'vitest';
import { requireOrSkip, type Engine } from '../helpers/databases';
import { useRegisteredDatabase } from '../helpers/registered';

/**
 * Two tables can have a relation of the same name to the same table (`artist.albums` and
 * `label.albums`), joined on different columns: batches and compiled statements must keep them
 * apart, within one request and from one request to the next.
 */
const SQL = [
  `create table artist (id integer primary key, name varchar(20))`,
  `create table label (id integer primary key, name varchar(20))`,
  `create table album (
    id integer primary key, artist_id integer, label_id integer,
    foreign key (artist_id) references artist (id), foreign key (label_id) references label (id)
  )`,
  `insert into artist values (1, 'a1'), (2, 'a2'), (5, 'a5')`,
  `insert into label values (1, 'l1'), (2, 'l2'), (3, 'l3')`,
  `insert into album values (10, 1, 2), (11, 2, 3), (12, 5, 1), (13, 1, 1)`,
].join('\n--;;\n');

const BY_ARTIST = `artist(order_by: [{id: asc}]) { id albums(order_by: [{id: asc}]) { id label { id } } }`;
const BY_LABEL = `label(order_by: [{id: asc}]) { id albums(order_by: [{id: asc}]) { id artist { id } } }`;
const ARTISTS = [
  { id: 1, albums: [{ id: 10, label: { id: 2 } }, { id: 13, label: { id: 1 } }] },
  { id: 2, albums: [{ id: 11, label: { id: 3 } }] },
  { id: 5, albums: [{ id: 12, label: { id: 1 } }] },
];
const LABELS = [
  { id: 1, albums: [{ id: 12, artist: { id: 5 } }, { id: 13, artist: { id: 1 } }] },
  { id: 2, albums: [{ id: 10, artist: { id: 1 } }] },
  { id: 3, albums: [{ id: 11, artist: { id: 2 } }] },
];

for (const engine of ['sqlite', 'mariadb', 'postgres'] as Engine[]) {
  describe(`relations of the same name on ${engine}`, async () => {
    const available = await requireOrSkip(engine);
    const { ok } = useRegisteredDatabase(engine, { available, name: `same_names_${engine}`, sql: SQL });

    it.skipIf(!available)('keeps artist.albums and label.albums apart in one request and across requests', async () => {
      expect(await ok(`{ ${BY_ARTIST} ${BY_LABEL} }`)).toEqual({ artist: ARTISTS, label: LABELS });
      expect((await ok(`{ ${BY_ARTIST} }`)).artist).toEqual(ARTISTS);
      expect((await ok(`{ ${BY_LABEL} }`)).label).toEqual(LABELS);
      expect((await ok(`{ album(order_by: [{id: asc}]) { id artist { albums { id } } label { albums { id } } } }`)).album[2]).toEqual({
        id: 12,
        artist: { albums: [{ id: 12 }] },
        label: { albums: [{ id: 12 }, { id: 13 }] },
      });
    });
  });
}
