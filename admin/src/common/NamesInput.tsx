import { Autocomplete, Chip, TextField } from '@mui/material';

/** Several names picked from a known list (roles, databases), shown as chips. */
export function NamesInput({
  label,
  options,
  value,
  onChange,
  helperText,
  testId,
}: {
  label: string;
  options: string[];
  value: string[];
  onChange(value: string[]): void;
  helperText?: string;
  testId?: string;
}) {
  return (
    <Autocomplete
      multiple
      options={options}
      value={value}
      onChange={(_, next) => onChange(next)}
      filterSelectedOptions
      renderValue={(selected, getItemProps) => selected.map((name, index) => <Chip size="small" label={name} {...getItemProps({ index })} key={name} />)}
      renderInput={(params) => <TextField {...params} label={label} helperText={helperText} slotProps={{ htmlInput: { ...params.inputProps, 'data-testid': testId } }} />}
    />
  );
}
