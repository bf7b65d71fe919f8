#!/usr/bin/env bash
# Render the sample run's 汇总报告 to PNG pages for the README (needs soffice, pdftotext and pdftoppm).
# Usage: bash docs/render.sh   (from the repository root, after `make run`, which writes to 示例/outbox)
set -euo pipefail
report=$(ls -t 示例/outbox/R1/*/汇总报告.xlsx | head -1)
work=$(mktemp -d)
cp "$report" "$work/report.xlsx"
soffice --headless --convert-to pdf --outdir "$work" "$work/report.xlsx" >/dev/null
pages=$(pdfinfo "$work/report.pdf" | awk '/^Pages:/ {print $2}')
first_page_of() {  # the first page whose header (the sheet's name) is $1
  for i in $(seq 1 "$pages"); do
    if [ "$(pdftotext -f "$i" -l "$i" "$work/report.pdf" - | head -1)" = "$1" ]; then echo "$i"; return; fi
  done
  echo "no page of sheet $1" >&2; exit 1
}
for sheet in 总览 组织评议; do
  n=$(first_page_of "$sheet")
  pdftoppm -r 80 -png -f "$n" -l "$n" -singlefile "$work/report.pdf" "$work/page"
  cp "$work/page.png" "docs/汇总报告-$sheet.png"
done
rm -rf "$work"
echo "docs/汇总报告-总览.png docs/汇总报告-组织评议.png"
