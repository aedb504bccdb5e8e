import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { RegistryScope, RegistryView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { AdvancedOptions } from './AdvancedOptions';
import { ConnectionFields } from './ConnectionFields';
import {
  ADVANCED_FIELDS,
  checkLocally,
  emptyValues,
  errorsFrom,
  NO_ERRORS,
  toCreateBody,
  toPatchBody,
  valuesFrom,
  type FieldKey,
  type FormErrors,
  type RegistryFormValues,
} from './registry-form-model';
import { useCreateRegistry, useUpdateRegistry } from './registry-queries';

interface RegistryFormDialogProps {
  scope: RegistryScope;
  /** The registry being edited; absent when adding one. */
  registry?: RegistryView;
  onClose: () => void;
  /** After the server accepted the change: the saved registry (with its validation warnings). */
  onSaved: (saved: RegistryView, action: 'added' | 'updated' | 'unchanged') => void;
}

/**
 * "Add New Helm Registry" and "Edit Helm Registry": one form. Confirm sends it to the server, which
 * validates it (and, for an unprotected registry, reaches the upstream) before saving anything; its
 * answer is shown next to the field it concerns or at the top.
 */
export function RegistryFormDialog({ scope, registry, onClose, onSaved }: RegistryFormDialogProps) {
  const editing = registry !== undefined;
  const [initial] = useState<RegistryFormValues>(() => (registry ? valuesFrom(registry) : emptyValues()));
  const [values, setValues] = useState<RegistryFormValues>(initial);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  // isPending only reaches the button after a re-render; a double click can land before that.
  const inFlight = useRef(false);
  const create = useCreateRegistry(scope);
  const update = useUpdateRegistry(scope);
  const pending = create.isPending || update.isPending;

  // Fields edited since the errors were shown: their messages are re-checked live (below).
  const [edited, setEdited] = useState<ReadonlySet<string>>(() => new Set());
  const set = <K extends keyof RegistryFormValues>(key: K, value: RegistryFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setEdited((e) => (e.has(key) ? e : new Set(e).add(key)));
  };
  const context = { initial: editing ? initial : undefined };
  const shown = shownErrors(errors, edited, edited.size > 0 ? checkLocally(values, context) : null);

  // Set when new errors are shown: the effect below moves focus once React has rendered them.
  const focusErrors = useRef(false);
  const showErrors = (next: FormErrors) => {
    focusErrors.current = true;
    setErrors(next);
    setEdited(new Set());
    const keys = Object.keys(next.fields) as FieldKey[];
    if (keys.some((k) => ADVANCED_FIELDS.includes(k))) setAdvancedOpen(true);
  };
  // Focus the first bad control, or the summary. An effect runs after the commit that rendered the
  // messages (a requestAnimationFrame could run before it on a busy machine, and find nothing).
  useEffect(() => {
    if (!focusErrors.current) return;
    focusErrors.current = false;
    const invalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (invalid ?? summaryRef.current)?.focus();
  }, [errors]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (inFlight.current) return;
    const local = checkLocally(values, context);
    if (local) return showErrors(local);
    setErrors(NO_ERRORS);
    const settle = {
      onError: (error: unknown) => showErrors(errorsFrom(error)),
      onSettled: () => {
        inFlight.current = false;
      },
    };
    if (!registry) {
      inFlight.current = true;
      create.mutate(toCreateBody(values), { ...settle, onSuccess: (saved) => onSaved(saved, 'added') });
      return;
    }
    const patch = toPatchBody(initial, values);
    if (!patch) return onSaved(registry, 'unchanged');
    inFlight.current = true;
    update.mutate(
      { name: registry.name, patch },
      { ...settle, onSuccess: (saved) => onSaved(saved, 'updated') },
    );
  };

  const pendingLabel = values.protected ? 'Saving…' : 'Checking the registry…';
  return (
    <Dialog
      title={editing ? `Edit Helm Registry "${registry.name}"` : 'Add New Helm Registry'}
      onClose={onClose}
      wide
    >
      <form ref={formRef} onSubmit={onSubmit} noValidate className="dialog-form">
        <div className="dialog-body">
          {shown.summary && (
            <div className="alert alert-error" role="alert" tabIndex={-1} ref={summaryRef}>
              <div className="alert-body">{shown.summary}</div>
            </div>
          )}
          <fieldset disabled={pending} className="plain-fieldset">
            <ConnectionFields
              values={values}
              set={set}
              errors={shown.fields}
              editing={editing}
              initial={initial}
            />
            <AdvancedOptions
              values={values}
              set={set}
              errors={shown.fields}
              open={advancedOpen}
              onToggle={setAdvancedOpen}
            />
          </fieldset>
        </div>
        <div className="dialog-footer">
          {pending && (
            <span className="pending-note" role="status">
              {pendingLabel}
            </span>
          )}
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={pending}>
            Confirm
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The errors to show: those of the last confirm, except that a field the user has edited since shows
 * what the local check says of its value now (nothing once it is right), so a message goes as soon as
 * the value is fixed. Other fields' messages (the server's among them) stay until the next confirm.
 */
function shownErrors(errors: FormErrors, edited: ReadonlySet<string>, live: FormErrors | null): FormErrors {
  const fields: FormErrors['fields'] = {};
  for (const [key, message] of Object.entries(errors.fields) as Array<[FieldKey, string]>) {
    const now = edited.has(key) ? live?.fields[key] : message;
    if (now !== undefined) fields[key] = now;
  }
  const stillWrong = Object.keys(errors.fields).length === 0 || Object.keys(fields).length > 0;
  return { summary: stillWrong ? errors.summary : null, fields };
}
