import { useState } from 'react';
import { Field } from '../ui/Field';

/** The API's limit (MAX_KUBECONFIG_CHARS in cluster.schema.ts, not imported: it would bring TypeBox into the bundle). */
const MAX_KUBECONFIG_BYTES = 256 * 1024;

interface KubeconfigFieldProps {
  value: string;
  error: string | undefined;
  onChange: (text: string) => void;
}

/**
 * A kubeconfig, pasted or read from a file in the browser (it is sent with the form, not uploaded on
 * its own). The server refuses exec plugins, auth providers and file references, naming them.
 */
export function KubeconfigField({ value, error, onChange }: KubeconfigFieldProps) {
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  return (
    <>
      <Field
        label="Kubeconfig"
        hint="YAML with its credentials embedded: exec plugins, auth providers and file references are refused. It is stored sealed and never shown again."
        error={error ?? fileProblem ?? undefined}
      >
        {(control) => (
          <textarea
            {...control}
            className="values-text"
            rows={10}
            spellCheck={false}
            autoComplete="off"
            value={value}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Or read it from a file" note="optional">
        {(control) => (
          <input
            {...control}
            type="file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              setFileProblem(null);
              if (!file) return;
              if (file.size > MAX_KUBECONFIG_BYTES) {
                setFileProblem(
                  `The file is larger than ${MAX_KUBECONFIG_BYTES / 1024} KiB: it is not a kubeconfig.`,
                );
                return;
              }
              file.text().then(onChange, () => setFileProblem('The file could not be read.'));
            }}
          />
        )}
      </Field>
    </>
  );
}
