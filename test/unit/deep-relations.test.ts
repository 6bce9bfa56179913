import { graphql, printSchema, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeGateway } from '../../server/gateway/compose';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource } from '../../server/schema/source';
import { column, emptySource, model, table } from '../helpers/model';

/** t1 -> t0, t2 -> t1, … : every table's filter and object types reach the next table's. */
function chain(length: number) {
  const id = column('id', 'int', { nullable: false });
  return model(
    Array.from({ length }, (_, i) =>
      table(`t${i}`, [id, column('parent_id', 'int')], {
        primaryKey: ['id'],
        foreignKeys: i === 0 ? [] : [{ name: `t${i}_fk`, columns: ['parent_id'], refSchema: 'public', refTable: `t${i - 1}`, refColumns: ['id'] }],
      }),
    ),
  );
}

const source: DataSource = emptySource({ list: async () => [{ id: 1, parent_id: null }] });

describe('a chain of 2,500 foreign keys', () => {
  it('builds, validates, prints, composes and answers without exhausting the stack', async () => {
    const named = nameModel(chain(2500));
    const schema = buildSchema(named, source, { maxLimit: 10 });
    expect(validateSchema(schema)).toEqual([]);
    expect(printSchema(schema)).toContain('type t2499 ');
    const namespaced = buildSchema(named, source, { maxLimit: 10, typePrefix: 'deep_' });
    const gateway = composeGateway([{ name: 'deep', schema: namespaced }]);
    expect(gateway.getType('deep_t2499_bool_exp')).toBeDefined();
    const result = await graphql({ schema, source: '{ t2499(where: {parent: {parent: {id: {_eq: 1}}}}) { id parent { id } } }', contextValue: {} });
    expect(result).toEqual({ data: { t2499: [{ id: 1, parent: null }] } });
  });
});
