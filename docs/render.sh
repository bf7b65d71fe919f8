#!/usr/bin/env bash
# Render the sample run's 汇总报告 to PNG pages for the README (needs soffice and pdftoppm).
# Usage: bash docs/render.sh   (from the repository root, after `make run`)
set -euo pipefail
report=$(ls -t outbox/R1/*/汇总报告.xlsx | head -1)
work=$(mktemp -d)
cp "$report" "$work/report.xlsx"
soffice --headless --convert-to pdf --outdir "$work" "$work/report.xlsx" >/dev/null
pdftoppm -r 80 -png -f 1 -l 2 "$work/report.pdf" "$work/page"
cp "$work/page-01.png" docs/汇总报告-总览.png
cp "$work/page-02.png" docs/汇总报告-组织评议.png
rm -rf "$work"
echo "docs/汇总报告-总览.png docs/汇总报告-组织评议.png"
