#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cover-description.sh COVER: print the blurb of a format-patch cover letter
# (its subject without the [PATCH 0/N] prefix, a blank line, its body up to
# the shortlog) in the form git keeps as a branch description, so that
# `git format-patch --cover-letter --cover-from-description=subject`
# writes the same cover letter again with a fresh shortlog and diffstat.
set -euo pipefail

awk '
	!body && /^Subject: / {
		sub(/^Subject: (\[[^]]*\] )?/, ""); subject = $0; next
	}
	!body && subject != "" && /^ / { subject = subject $0; next }
	!body && /^$/ { body = 1; print subject; print ""; next }
	# The shortlog: "Author (N):" after a blank line; a paragraph line
	# may end in "(41):" too.
	body && prev == "" && /^[^ ].* \([0-9]+\):$/ { exit }
	body { lines[++n] = $0; prev = $0 }
	END {
		while (n > 0 && lines[n] == "") n--
		for (i = 1; i <= n; i++) print lines[i]
	}' "$1"
