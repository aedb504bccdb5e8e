import { useState } from 'react';
import { ApiError, type ProfileVersionView } from '../../../src/client/api-client.js';
import { useRegistries } from '../registries/registry-queries';
import { Button } from '../ui/Button';
import { describeError } from '../ui/describe-error';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { ErrorSummary } from '../ui/ErrorSummary';
import { LayerEditor } from './LayerEditor';
import {
  draftErrors,
  emptyLayer,
  formFromVersion,
  moveLayer,
  noErrors,
  pickableRegistries,
  removeLayer,
  renameLayer,
  versionBody,
  type DraftErrors,
  type DraftForm,
  type LayerForm,
} from './profile-form-model';
import { usePublishVersion, useSaveVersion } from './profile-queries';
import { PublishDialog } from './PublishDialog';
import { VariablesEditor } from './VariablesEditor';

interface DraftEditorProps {
  tenant: string;
  view: ProfileVersionView;
}

/** The editor of a draft: layers, variables, Save draft (the whole version) and Publish. */
export function DraftEditor({ tenant, view }: DraftEditorProps) {
  const [form, setForm] = useState<DraftForm>(() => formFromVersion(view));
  const [errors, setErrors] = useState<DraftErrors>(noErrors);
  const [failure, setFailure] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const registries = useRegistries({ tenant });
  const reachable = pickableRegistries(registries.data ?? []);
  const save = useSaveVersion(tenant, view.profile, view.version);
  const publish = usePublishVersion(tenant, view.profile, view.version);
  const busy = save.isPending || publish.isPending;

  const onFailed = (what: string) => (error: unknown) => {
    setPublishing(false);
    if (error instanceof ApiError && error.details.length > 0) {
      setErrors(draftErrors(error.details));
      setFailure(null);
    } else {
      setErrors(noErrors());
      setFailure(new Error(`${what} ${describeError(error)}`));
    }
  };

  const saveDraft = (then?: () => void) => {
    setMessage(null);
    setFailure(null);
    save.mutate(versionBody(form), {
      onSuccess: () => {
        setErrors(noErrors());
        if (then) then();
        else setMessage(`Draft ${view.version} saved.`);
      },
      onError: onFailed('Nothing was saved.'),
    });
  };

  const onPublish = () =>
    saveDraft(() =>
      publish.mutate(undefined, { onError: onFailed('The draft was saved but not published.') }),
    );

  const updateLayer = (index: number, patch: Partial<LayerForm>) =>
    setForm((f) => ({ ...f, layers: f.layers.map((l, i) => (i === index ? { ...l, ...patch } : l)) }));

  const savedLayers = new Map(view.layers.map((l) => [l.name, l]));
  const warnings = view.layers.flatMap((l) => l.warnings.map((w) => `${l.name}: ${w}`));

  return (
    <form
      className="draft-editor"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) saveDraft();
      }}
    >
      {message && (
        <Notice tone="success" onDismiss={() => setMessage(null)}>
          {message}
        </Notice>
      )}
      {failure !== null && <ErrorMessage title="The draft was not saved" error={failure} />}
      <ErrorSummary messages={errors.all} />
      {warnings.length > 0 && (
        <Notice tone="warning">
          <ul className="inline-list">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}
      <Field label="Version description" note="optional">
        {(control) => (
          <input
            {...control}
            value={form.description}
            onChange={(e) => {
              const description = e.currentTarget.value;
              setForm((f) => ({ ...f, description }));
            }}
          />
        )}
      </Field>
      <h2 className="section-title">Layers</h2>
      {registries.isError && <ErrorMessage title="Could not load the registries" error={registries.error} />}
      {form.layers.length === 0 && (
        <p className="empty">No layers yet. Add the first chart of this profile.</p>
      )}
      <ol className="layer-list">
        {form.layers.map((layer, index) => (
          <li key={layer.key}>
            <LayerEditor
              tenant={tenant}
              layer={layer}
              index={index}
              count={form.layers.length}
              otherLayers={form.layers
                .filter((_, i) => i !== index)
                .map((l) => l.name)
                .filter(Boolean)}
              registries={reachable}
              errors={errors.layers[index]}
              saved={savedLayers.get(layer.name)}
              onChange={(patch) => updateLayer(index, patch)}
              onRename={(name) => setForm((f) => renameLayer(f, index, name))}
              onMove={(by) => setForm((f) => moveLayer(f, index, by))}
              onRemove={() => setForm((f) => removeLayer(f, index))}
            />
          </li>
        ))}
      </ol>
      <Button onClick={() => setForm((f) => ({ ...f, layers: [...f.layers, emptyLayer()] }))}>
        Add layer
      </Button>
      <h2 className="section-title">Variables</h2>
      <p className="field-hint">
        Values can use a variable as <code>{'{{ .Variables.NAME }}'}</code>; each cluster gives its value.
      </p>
      <VariablesEditor
        variables={form.variables}
        errors={errors.variables}
        onChange={(variables) => setForm((f) => ({ ...f, variables }))}
      />
      <div className="editor-footer">
        <Button type="submit" variant="primary" busy={save.isPending && !publishing}>
          Save draft
        </Button>
        <Button onClick={() => setPublishing(true)} disabled={busy}>
          Publish…
        </Button>
      </div>
      {publishing && (
        <PublishDialog
          name={view.profile}
          version={view.version}
          busy={busy}
          onConfirm={onPublish}
          onClose={() => setPublishing(false)}
        />
      )}
    </form>
  );
}
