import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  baseMediaType,
  DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  MANIFEST_MEDIA_TYPES,
  OCI_ARTIFACT_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
} from './media-types.js';

describe('media types', () => {
  it('accepts the four manifest and index types and the OCI artifact manifest on PUT', () => {
    assert.deepEqual(
      [...MANIFEST_MEDIA_TYPES].sort(),
      [
        DOCKER_MANIFEST_LIST_MEDIA_TYPE,
        DOCKER_MANIFEST_MEDIA_TYPE,
        OCI_ARTIFACT_MANIFEST_MEDIA_TYPE,
        OCI_INDEX_MEDIA_TYPE,
        OCI_MANIFEST_MEDIA_TYPE,
      ].sort(),
    );
    assert.equal(MANIFEST_MEDIA_TYPES.has(HELM_CONFIG_MEDIA_TYPE), false);
  });

  it('strips parameters, spaces and case from a Content-Type', () => {
    assert.equal(
      baseMediaType(' Application/VND.oci.image.manifest.v1+json ; charset=utf-8'),
      OCI_MANIFEST_MEDIA_TYPE,
    );
    assert.equal(baseMediaType(undefined), '');
    assert.equal(baseMediaType(null), '');
  });
});
