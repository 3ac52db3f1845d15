#!/bin/sh
# Rewrites the README's command reference (between the BEGIN/END "halo help --markdown" markers) from
# the option tables: `halo help --markdown`. Run from the repository root after changing a grammar
# (Sources/HaloCommandLine/Grammars.swift); GrammarTests.testReadmeCommandReferenceIsGenerated checks it.
set -eu
HALO=${HALO:-.build/debug/halo}
[ -x "$HALO" ] || swift build --product halo
"$HALO" help --markdown > .readme-reference.tmp
awk '
  /^<!-- BEGIN halo help --markdown -->$/ { print; while ((getline line < ".readme-reference.tmp") > 0) print line; skip = 1; next }
  /^<!-- END halo help --markdown -->$/ { skip = 0 }
  !skip { print }
' README.md > README.md.tmp
mv README.md.tmp README.md
rm -f .readme-reference.tmp
