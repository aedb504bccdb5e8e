import { useState, type FormEvent } from 'react';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors, type SimpleFormErrors } from '../ui/form-errors';
import { useUpdateCluster } from './cluster-queries';
import { KubeconfigField } from './KubeconfigField';

interface ReplaceKubeconfigDialogProps {
  tenant: string;
  name: string;
  onClose: () => void;
  onReplaced: () => void;
}

/** A kubeconfig cluster's credentials, replaced whole: the stored one is never shown, so it is not edited. */
export function ReplaceKubeconfigDialog({ tenant, name, onClose, onReplaced }: ReplaceKubeconfigDialogProps) {
  const [kubeconfig, setKubeconfig] = useState('');
  const [errors, setErrors] = useState<SimpleFormErrors<'kubeconfig'>>({ summary: null, fields: {} });
  const update = useUpdateCluster(tenant, name);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (update.isPending) return;
    setErrors({ summary: null, fields: {} });
    update.mutate(
      { kubeconfig },
      { onSuccess: onReplaced, onError: (error) => setErrors(simpleFormErrors(error, ['kubeconfig'])) },
    );
  };

  return (
    <FormDialog
      title="Replace kubeconfig"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={update.isPending}
      summary={errors.summary}
    >
      <KubeconfigField value={kubeconfig} error={errors.fields.kubeconfig} onChange={setKubeconfig} />
    </FormDialog>
  );
}
