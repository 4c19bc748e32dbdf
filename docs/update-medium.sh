#!/usr/bin/env bash
# Copies medium runs into docs/medium/ (the README's medium gallery): every top-level PNG, summary.txt and claim.json
# of each figure that finished. Run the figures first, one at a time (each <= ~15 min on 2 idle cores):
#   dotnet run --project samples/LossLandscape.Figures -c Release -- P --medium --out figures-medium/P
#   bash docs/update-medium.sh [figures-medium] [ID ...]
# Then write the figure's wall time, the command and the commit it ran on into docs/medium/README.md.
set -euo pipefail
src="${1:-figures-medium}"
shift || true
ids=("$@")
[[ ${#ids[@]} -gt 0 ]] || ids=(A B C D E F G H I J K L M N O P Q)
dest="$(dirname "$0")/medium"
copied=0
for id in "${ids[@]}"; do
  [[ -f "$src/$id/claim.json" ]] || { echo "skip $id: no finished run in $src/$id" >&2; continue; }
  mkdir -p "$dest/$id"
  rm -f "$dest/$id"/*.png
  cp "$src/$id"/*.png "$src/$id/summary.txt" "$src/$id/claim.json" "$dest/$id/"
  copied=$((copied + 1))
done
echo "medium gallery: $copied figure(s) copied from $src"
