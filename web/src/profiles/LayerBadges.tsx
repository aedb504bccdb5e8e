import type { LayerView } from '../../../src/client/api-client.js';
import { updateBadges } from './profile-form-model';

const VERIFICATION_HINTS: Record<LayerView['verification'], string> = {
  catalog: 'Checked against the catalog',
  unverified: 'A protected registry: typed by hand, not checked until an agent pulls it',
  verified: 'An agent pulled this chart and reported its digest',
  failed: 'An agent could not verify this chart',
};

/** A layer's verification, upstream warnings and available updates, as badges. */
export function LayerBadges({ layer }: { layer: LayerView }) {
  return (
    <span className="layer-badges">
      <span
        className={`badge badge-verification-${layer.verification}`}
        title={VERIFICATION_HINTS[layer.verification]}
      >
        {layer.verification}
      </span>
      {layer.upstream === 'gone' && (
        <span className="badge badge-warning" title="The catalog no longer lists this version">
          gone upstream
        </span>
      )}
      {layer.upstream === 'changed' && (
        <span className="badge badge-warning" title="The catalog lists this version with another digest">
          changed upstream
        </span>
      )}
      {updateBadges(layer).map((text) => (
        <span key={text} className="badge badge-update">
          {text}
        </span>
      ))}
    </span>
  );
}
