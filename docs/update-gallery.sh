#!/usr/bin/env bash
# Copies the README gallery's images from a quick run of the figures program:
#   dotnet run --project samples/LossLandscape.Figures -c Release -- all --quick   # writes figures-out/
#   bash docs/update-gallery.sh [figures-out]
set -euo pipefail
src="${1:-figures-out}"
dest="$(dirname "$0")/gallery"
declare -A pick=(
  [A]=preprocessing [B]=ablation [C]=loss [D]=cost [E]=final-costs [F]=risk [G]=sharpness [H]=outliers
  [I]=product [J]=two-phase [K]=interpolation [L]=paths [M]=distance [N]=barrier-matrix [O]=top-ce
  [P]=surface-resnet56_noshort [Q]=density
)
for id in "${!pick[@]}"; do
  file="$src/$id/${pick[$id]}.png"
  [[ -f "$file" ]] || { echo "missing $file: run the figures program first" >&2; exit 1; }
done
for id in "${!pick[@]}"; do cp "$src/$id/${pick[$id]}.png" "$dest/$id.png"; done
echo "gallery: ${#pick[@]} images copied from $src"
