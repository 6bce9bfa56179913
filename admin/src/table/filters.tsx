import { AutocompleteInput, NullableBooleanInput, ReferenceInput, SearchInput, SelectArrayInput, SelectInput, TextInput } from 'react-admin';
import type { ReactElement } from 'react';
import type { DatabaseModel, ResourceInfo } from '../model';
import { fieldSource } from '../rest/adapter';
import { referenceFor, representation, targetName } from './useTable';

const EMPTY_CHOICES = [
  { id: 'true', name: 'is empty (NULL)' },
  { id: 'false', name: 'is not empty' },
];

/**
 * The filters offered for a table: a quick search always shown, and per column the
 * operators that make sense for its type (contains for text, ranges for numbers and
 * dates, a select for enums, booleans and foreign keys, "is empty" for nullable columns).
 * Sources use the adapter's `<field>@<operator>` convention.
 */
export function tableFilters(database: string, model: DatabaseModel, resource: ResourceInfo): ReactElement[] {
  const filters: ReactElement[] = [<SearchInput key="q" source="q" alwaysOn placeholder="Search" />];
  for (const field of resource.fields) {
    const source = fieldSource(resource, field.name);
    const name = field.name;
    const reference = referenceFor(model, resource, field.name);
    if (reference) {
      const label = representation(reference.target);
      filters.push(
        <ReferenceInput key={`${name}=`} source={source} reference={targetName(database, reference.target.name)} label={`${name} =`}>
          <AutocompleteInput label={`${name} =`} optionText={(r: Record<string, unknown>) => label(r) || String(r?.id ?? '')} filterToQuery={(q: string) => (q ? { q } : {})} />
        </ReferenceInput>,
      );
    } else {
      switch (field.kind) {
        case 'string':
          filters.push(<TextInput key={`${name}~`} source={`${source}@_contains`} label={`${name} contains`} />);
          filters.push(<TextInput key={`${name}=`} source={source} label={`${name} =`} />);
          break;
        case 'uuid':
          filters.push(<TextInput key={`${name}=`} source={source} label={`${name} =`} />);
          break;
        case 'int':
        case 'bigint':
        case 'float':
        case 'decimal':
          filters.push(<TextInput key={`${name}=`} source={source} label={`${name} =`} />);
          filters.push(<TextInput key={`${name}>=`} source={`${source}@_gte`} label={`${name} ≥`} />);
          filters.push(<TextInput key={`${name}<=`} source={`${source}@_lte`} label={`${name} ≤`} />);
          break;
        case 'date':
        case 'datetime':
        case 'time': {
          const type = field.kind === 'date' ? 'date' : field.kind === 'time' ? 'time' : 'datetime-local';
          filters.push(<TextInput key={`${name}>=`} source={`${source}@_gte`} label={`${name} from`} type={type} InputLabelProps={{ shrink: true }} />);
          filters.push(<TextInput key={`${name}<=`} source={`${source}@_lte`} label={`${name} until`} type={type} InputLabelProps={{ shrink: true }} />);
          break;
        }
        case 'boolean':
          filters.push(<NullableBooleanInput key={`${name}=`} source={source} label={`${name} =`} />);
          break;
        case 'enum':
          filters.push(
            <SelectArrayInput key={`${name}in`} source={`${source}@_in`} label={`${name} is one of`} choices={(field.enumValues ?? []).map((v) => ({ id: v, name: v }))} />,
          );
          break;
        default:
          break;
      }
    }
    if (field.nullable) {
      filters.push(<SelectInput key={`${name}null`} source={`${source}@_is_null`} label={`${name} is empty?`} choices={EMPTY_CHOICES} />);
    }
  }
  return filters;
}
