import { Field } from '../ui/Field';

interface ConstraintFieldProps {
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}

export function ConstraintField({ value, error, onChange }: ConstraintFieldProps) {
  return (
    <Field label="Version constraint" hint="Such as ~1.2, ^2.0.0 or >=1.0.0 <2.0.0." error={error}>
      {(control) => (
        <input
          {...control}
          className="mono"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}
