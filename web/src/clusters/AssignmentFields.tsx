import { useEffect, useRef } from 'react';
import type { ProfileView } from '../../../src/client/api-client.js';
import { useProfile, useProfileVersion } from '../profiles/profile-queries';
import { Button } from '../ui/Button';
import { describeError } from '../ui/describe-error';
import { Field } from '../ui/Field';
import {
  declarationKey,
  publishedVersions,
  withDeclaredVariables,
  withProfile,
  withVersion,
  type AssignmentErrors,
  type AssignmentForm,
  type VariableInputForm,
} from './cluster-form-model';
import { VariableValueInput } from './VariableValueInput';

export type AssignmentUpdate = (change: (a: AssignmentForm) => AssignmentForm) => void;

interface AssignmentFieldsProps {
  tenant: string;
  assignment: AssignmentForm;
  index: number;
  count: number;
  /** The tenant's profiles, for the profile list. */
  profiles: readonly ProfileView[];
  /** Profiles other assignments already use: a cluster gets a profile once. */
  taken: ReadonlySet<string>;
  errors: AssignmentErrors | undefined;
  onChange: AssignmentUpdate;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}

/** One assigned profile: which profile, which published version, and the values of its variables. */
export function AssignmentFields(props: AssignmentFieldsProps) {
  const { tenant, assignment: a, index, count, profiles, taken, errors, onChange, onMove, onRemove } = props;
  const n = index + 1;
  const legend = `Profile ${n}: ${a.profile || 'not chosen'}`;
  return (
    <fieldset className="assignment-card">
      <legend className="layer-legend">{legend}</legend>
      <div className="layer-head">
        {errors?.general.map((m) => (
          <div key={m} className="field-error">
            {m}
          </div>
        ))}
        <div className="row-actions">
          <Button
            className="btn-small"
            disabled={index === 0}
            onClick={() => onMove(-1)}
            aria-label={`Move profile ${n} up`}
          >
            Up
          </Button>
          <Button
            className="btn-small"
            disabled={index === count - 1}
            onClick={() => onMove(1)}
            aria-label={`Move profile ${n} down`}
          >
            Down
          </Button>
          <Button className="btn-small" variant="ghost" onClick={onRemove} aria-label={`Remove profile ${n}`}>
            Remove
          </Button>
        </div>
      </div>
      <div className="assignment-pickers">
        <Field label="Profile" error={errors?.profile}>
          {(control) => (
            <select
              {...control}
              value={a.profile}
              onChange={(e) => {
                const profile = e.currentTarget.value;
                onChange((x) => withProfile(x, profile));
              }}
            >
              <option value="">Choose a profile…</option>
              {profiles
                .filter((p) => p.name === a.profile || !taken.has(p.name))
                .map((p) => (
                  <option key={p.name} value={p.name} disabled={p.latestPublished === null}>
                    {p.name}
                    {p.latestPublished === null ? ' (nothing published)' : ''}
                  </option>
                ))}
              {a.profile !== '' && !profiles.some((p) => p.name === a.profile) && (
                <option value={a.profile}>{a.profile}</option>
              )}
            </select>
          )}
        </Field>
        {a.profile === '' ? (
          <Field label="Version" hint="Choose a profile first." error={errors?.version}>
            {(control) => (
              <select {...control} disabled value="">
                <option value="">—</option>
              </select>
            )}
          </Field>
        ) : (
          <VersionPicker
            key={a.profile}
            tenant={tenant}
            assignment={a}
            error={errors?.version}
            onChange={onChange}
          />
        )}
      </div>
      {a.profile !== '' && a.version !== '' && (
        <DeclaredVariables
          key={declarationKey(a.profile, a.version)}
          tenant={tenant}
          assignment={a}
          errors={errors?.variables ?? {}}
          onChange={onChange}
        />
      )}
    </fieldset>
  );
}

interface VersionPickerProps {
  tenant: string;
  assignment: AssignmentForm;
  error: string | undefined;
  onChange: AssignmentUpdate;
}

/** The profile's published versions, newest first; drafts cannot be assigned. */
function VersionPicker({ tenant, assignment: a, error, onChange }: VersionPickerProps) {
  const profile = useProfile(tenant, a.profile);
  const versions = publishedVersions(profile.data?.versions ?? []);
  const listed = a.version === '' || versions.some((v) => v.version === a.version);
  const hint = profile.isPending
    ? 'Loading the versions…'
    : profile.isError
      ? `The versions could not be loaded. ${describeError(profile.error)}`
      : versions.length === 0
        ? 'This profile has no published version yet.'
        : 'Only published versions can be assigned.';
  return (
    <Field label="Version" hint={hint} error={error}>
      {(control) => (
        <select
          {...control}
          value={a.version}
          onChange={(e) => {
            const version = e.currentTarget.value;
            onChange((x) => withVersion(x, version));
          }}
        >
          <option value="">Choose a version…</option>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              {v.version}
            </option>
          ))}
          {!listed && <option value={a.version}>{a.version}</option>}
        </select>
      )}
    </Field>
  );
}

interface DeclaredVariablesProps {
  tenant: string;
  assignment: AssignmentForm;
  errors: Record<string, string>;
  onChange: AssignmentUpdate;
}

/** The chosen version's variables, as that version declares them (types, defaults, sensitivity). */
function DeclaredVariables({ tenant, assignment: a, errors, onChange }: DeclaredVariablesProps) {
  const view = useProfileVersion(tenant, a.profile, a.version);
  const key = declarationKey(a.profile, a.version);
  // The parent makes a new onChange on every render: the effect reads the latest one without re-running.
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  });
  useEffect(() => {
    // The form follows the declaration once it is read: a stored assignment started from the cluster's
    // own view, which does not carry types or defaults.
    if (!view.data) return;
    const declared = view.data.variables;
    onChangeRef.current((x) => (x.declaredFor === key ? x : withDeclaredVariables(x, declared)));
  }, [view.data, key]);

  if (view.isError)
    return (
      <p className="field-error">The version's variables could not be loaded. {describeError(view.error)}</p>
    );
  if (a.declaredFor !== key) return <p className="muted">Loading the variables…</p>;
  if (a.variables.length === 0) return <p className="muted">This version has no variables.</p>;
  const update = (name: string, patch: Partial<VariableInputForm>) =>
    onChange((x) => ({
      ...x,
      variables: x.variables.map((v) => (v.name === name ? { ...v, ...patch } : v)),
    }));
  return (
    <div className="assignment-variables" role="group" aria-label={`Variables of ${a.profile} ${a.version}`}>
      {a.variables.map((v) => (
        <VariableValueInput
          key={v.name}
          variable={v}
          error={errors[v.name]}
          onChange={(patch) => update(v.name, patch)}
        />
      ))}
    </div>
  );
}
