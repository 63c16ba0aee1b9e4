#!/usr/bin/env bash
# ecr-tag.sh REPOSITORY DIGEST TAG: adds TAG to the image DIGEST in the ECR
# repository REPOSITORY (its name, not its URL), unless it is there already.
# Tags are immutable in these repositories, so a tag records a fact about a
# digest that nobody can move: scanned-<commit> (Trivy passed),
# staging-<commit> (staging was verified running it). This is AWS's
# documented retag: batch-get-image, then put-image of the same manifest.
set -euo pipefail
repository=$1 digest=$2 tag=$3
tags="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageDigest=$digest" --output json |
  jq -r '.imageDetails[0].imageTags // [] | .[]')"
if grep -qxF "$tag" <<<"$tags"; then
  echo "$repository@$digest is already tagged $tag"
  exit 0
fi
image="$(aws ecr batch-get-image --repository-name "$repository" --image-ids "imageDigest=$digest" --output json)"
manifest="$(jq -r '.images[0].imageManifest' <<<"$image")"
media_type="$(jq -r '.images[0].imageManifestMediaType // empty' <<<"$image")"
aws ecr put-image --repository-name "$repository" --image-tag "$tag" --image-manifest "$manifest" \
  ${media_type:+--image-manifest-media-type "$media_type"} --output json >/dev/null
echo "$repository@$digest tagged $tag"
