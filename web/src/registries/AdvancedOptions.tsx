import type { ChangeEvent } from 'react';
import { Button } from '../ui/Button';
import { Checkbox } from '../ui/Checkbox';
import { Field } from '../ui/Field';
import {
  isOciEndpoint,
  MAX_SYNC_INTERVAL,
  MIN_SYNC_INTERVAL,
  type FieldKey,
  type RegistryFormValues,
} from './registry-form-model';

interface AdvancedOptionsProps {
  values: RegistryFormValues;
  set: <K extends keyof RegistryFormValues>(key: K, value: RegistryFormValues[K]) => void;
  errors: Partial<Record<FieldKey, string>>;
  open: boolean;
  onToggle: (open: boolean) => void;
}

/** TLS, credential forwarding, OCI settings and the sync interval, behind a native disclosure. */
export function AdvancedOptions({ values, set, errors, open, onToggle }: AdvancedOptionsProps) {
  const oci = isOciEndpoint(values.endpoint);
  return (
    <details className="advanced" open={open} onToggle={(e) => onToggle(e.currentTarget.open)}>
      <summary>Advanced options</summary>
      <div className="advanced-body">
        <CaCertificate values={values} set={set} error={errors.caCert} />
        <Checkbox
          label="Skip TLS verification"
          checked={values.insecureSkipVerify}
          onChange={(on) => set('insecureSkipVerify', on)}
          error={errors.insecureSkipVerify}
          hint="Accept any certificate. Anyone on the network path could then read the credentials: prefer a CA certificate."
        />
        <Checkbox
          label="Pass credentials to other hosts"
          checked={values.passCredentials}
          onChange={(on) => set('passCredentials', on)}
          error={errors.passCredentials}
          hint="Send the username and password with chart downloads from other hosts named in the index (Helm's --pass-credentials)."
        />
        <Checkbox
          label="Plain HTTP (OCI only)"
          checked={values.plainHttp && oci}
          disabled={!oci}
          onChange={(on) => set('plainHttp', on)}
          error={errors.plainHttp}
          hint={
            oci
              ? "Talk http:// to the OCI registry, without TLS (Helm's --plain-http)."
              : 'Applies to oci:// endpoints.'
          }
        />
        <Field
          label="OCI repositories"
          note="optional"
          error={errors.ociRepositories}
          hint={
            oci
              ? 'One chart repository per line, relative to the endpoint: for registries that keep their catalog closed.'
              : 'Applies to oci:// endpoints.'
          }
        >
          {(control) => (
            <textarea
              {...control}
              name="ociRepositories"
              rows={3}
              spellCheck={false}
              disabled={!oci}
              value={oci ? values.ociRepositories : ''}
              onChange={(e) => set('ociRepositories', e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          label="Sync interval (minutes)"
          error={errors.syncIntervalMinutes}
          hint={`How often the charts are synchronized: ${MIN_SYNC_INTERVAL} to ${MAX_SYNC_INTERVAL} minutes. Protected registries are never synchronized.`}
        >
          {(control) => (
            <input
              {...control}
              name="syncIntervalMinutes"
              type="number"
              inputMode="numeric"
              min={MIN_SYNC_INTERVAL}
              max={MAX_SYNC_INTERVAL}
              step={1}
              className="input-short"
              value={values.syncIntervalMinutes}
              onChange={(e) => set('syncIntervalMinutes', e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
    </details>
  );
}

interface CaCertificateProps {
  values: RegistryFormValues;
  set: AdvancedOptionsProps['set'];
  error: string | undefined;
}

/** Upload of a PEM CA certificate; the server checks it is one. */
function CaCertificate({ values, set, error }: CaCertificateProps) {
  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    set('caCert', text);
    set('caCertFileName', file.name);
    input.value = ''; // choosing the same file again still fires change
  };
  const status =
    values.caCert === null
      ? 'No CA certificate: the system trust store is used.'
      : values.caCertFileName
        ? `Certificate from ${values.caCertFileName}.`
        : 'A CA certificate is set.';
  return (
    <Field
      label="CA certificate"
      note="PEM"
      error={error}
      hint={
        <span className="ca-status">
          <span>{status}</span>
          {values.caCert !== null && (
            <Button
              variant="ghost"
              className="btn-small"
              onClick={() => {
                set('caCert', null);
                set('caCertFileName', null);
              }}
            >
              Remove certificate
            </Button>
          )}
        </span>
      }
    >
      {(control) => (
        <input
          {...control}
          name="caCert"
          type="file"
          accept=".pem,.crt,.cer,application/x-pem-file,application/x-x509-ca-cert"
          onChange={(e) => void onFile(e)}
        />
      )}
    </Field>
  );
}
