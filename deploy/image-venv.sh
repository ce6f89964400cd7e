#!/bin/sh
# The image's virtualenv ($VIRTUAL_ENV), with torch's CPU build in first when WITH_SYNTH=true (or sdv
# would resolve the CUDA build): one step shared by hub/Dockerfile and scoring/Dockerfile, run from
# their build stage with the build arguments TORCH_INDEX_URL, WITH_SYNTH (and pip's PIP_* settings)
# in its environment. The torch pin is the Makefile's.
set -eu
python -m venv "$VIRTUAL_ENV"
if [ "$WITH_SYNTH" = true ]; then
    pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.13.0
    python -c "import torch; assert torch.version.cuda is None, 'not the CPU build of torch'"
fi
