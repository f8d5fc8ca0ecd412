#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest run.

parse-results.py LOGDIR TESTS KNOWN_SKIPS

Reads LOGDIR/results.log (the blocks guest/init wrote) and LOGDIR/console.log
(the kernel console).  Prints one line per test and ends with
'N passed, N failed, N skipped, N retried'.  Exits non-zero when a test
failed, a suite listed in TESTS left no complete result, a skip is not listed
in KNOWN_SKIPS, or the console holds a kernel splat.

A suite whose format ends in +retry was run again by the guest when it
exited with an error.  Its second run is judged only if every test that
failed or never finished in the first run is listed in known-flakes, beside
KNOWN_SKIPS; a RETRIED line then shows the first run's failure.  Otherwise
the first run is judged.
"""

import collections
import fnmatch
import os
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')
PLAN = re.compile(r'^\s*1\.\.(\d+)')
SUBTEST = re.compile(r'^(\s*)#\s*Subtest:\s*(\S+)')
STARTED = re.compile(r'Testing (.+?)\.\.\.')
UFFD = re.compile(r'Testing (.+?)\.\.\. (done|failed \[reason: (.*)\]|'
                  r'skipped \[reason: (.*)\])')

# Anything the kernel prints here means the run failed, whatever the tests
# said: oops, BUG, WARN, KASAN, lockdep, hung tasks, list corruption, panics.
SPLATS = re.compile(
    r'(BUG:|WARNING:|Oops|Kernel panic|kernel BUG at|'
    r'general protection fault|KASAN:|UBSAN:|'
    r'possible recursive locking|possible circular locking|'
    r'inconsistent lock state|DEBUG_LOCKS_WARN_ON|INFO: task .* blocked|'
    r'INFO: rcu.* detected stall|soft lockup|hard LOCKUP|'
    r'list_add corruption|list_del corruption|Bad page state|'
    r'page dumped because|------------\[ cut here \]------------)')


def read_tests(path):
    """(name, format, retried) of each suite."""
    suites = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            fmt, plus, suffix = line[2].partition('+')
            if line[0].endswith('.retry') or (plus and suffix != 'retry') \
                    or (suffix and fmt == 'kunit'):
                sys.exit('%s: bad suite line: %s' % (path, ' '.join(line)))
            suites.append((line[0], fmt, bool(suffix)))
    return suites


def read_known_skips(path):
    """(suite, test glob, reason) of each line; known-flakes has the same."""
    known = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                suite, pattern, reason = line.rstrip('\n').split('\t', 2)
                known.append((suite, pattern, reason))
    return known


def read_blocks(path):
    """Map each suite name to (output lines, exit code or None)."""
    blocks, name, lines, header = {}, None, [], None
    with open(path, errors='replace') as f:
        for raw in f:
            line = raw.rstrip('\r\n')
            if line.startswith('### HARNESS'):
                header = line[4:]
            m = re.match(r'^### BEGIN (\S+)', line)
            if m:
                name, lines = m.group(1), []
                continue
            m = re.match(r'^### END (\S+) rc=(\d+)', line)
            if m and name == m.group(1):
                blocks[name] = (lines, int(m.group(2)))
                name = None
                continue
            if name:
                lines.append(line)
    if name:
        blocks[name] = (lines, None)
    return blocks, header


def parse_ktap(lines):
    """Leaf results of KTAP (nested subtests count by their leaves)."""
    results, open_subtests, plan = [], [], None
    for line in lines:
        m = SUBTEST.match(line)
        if m:
            open_subtests.append(m.group(2))
            continue
        m = PLAN.match(line)
        if m and plan is None and not line.startswith(' '):
            plan = int(m.group(1))
        m = RESULT.match(line)
        if not m:
            continue
        name, directive = m.group(3), m.group(5) or ''
        if open_subtests and open_subtests[-1] == name:
            open_subtests.pop()
            if any(r[0].startswith(name + '.') for r in results):
                continue
        else:
            parent = '.'.join(open_subtests)
            name = parent + '.' + name if parent else name
        if directive.upper().startswith('SKIP'):
            status = 'skip'
        else:
            status = 'pass' if m.group(2) == 'ok' else 'fail'
        results.append((name, status, directive[4:].strip() or directive))
    top = [r for r in lines if RESULT.match(r) and not r.startswith(' ')]
    missing = plan is not None and len(top) < plan
    return results, ('plan %d, %d results' % (plan, len(top))
                     if missing else None)


def parse_uffd(lines):
    """Each test's result; one that started and never finished failed."""
    results = []
    for line in lines:
        for m in UFFD.finditer(line):
            if m.group(2) == 'done':
                results.append((m.group(1), 'pass', ''))
            elif m.group(3) is not None:
                results.append((m.group(1), 'fail', m.group(3)))
            else:
                results.append((m.group(1), 'skip', m.group(4)))
    unfinished = collections.Counter(t for line in lines
                                     for t in STARTED.findall(line))
    unfinished.subtract(r[0] for r in results)
    last = [l.strip()[:200] for l in lines if l.strip()][-1:]
    results += [(t, 'fail', 'never finished, last output: ' + ' '.join(last))
                for t in unfinished.elements()]
    return results, None


def judge_block(suite, fmt, block):
    """The results of SUITE's block and what went wrong around them."""
    lines, rc = block
    results, missing = (parse_uffd if fmt == 'uffd' else parse_ktap)(lines)
    problems = []
    if rc is None:
        problems.append('%s: output cut off' % suite)
    elif rc == 137:
        problems.append('%s: killed by its timeout' % suite)
    elif rc not in (0, 4) or (rc == 4 and not results):
        if not any(r[1] == 'fail' for r in results):
            problems.append('%s: exit status %d' % (suite, rc))
    if missing:
        problems.append('%s: missing results (%s)' % (suite, missing))
    if not results:
        problems.append('%s: no test results' % suite)
    return results, problems


def retry_judged(suite, rc, results, problems, flakes):
    """Whether the first run of SUITE failed only in its known flakes."""
    if rc in (None, 0, 4, 137):
        return False
    failed = [r[0] for r in results if r[1] == 'fail']
    if not failed or not all(any(k[0] == suite and
                                 fnmatch.fnmatchcase(t, k[1])
                                 for k in flakes) for t in failed):
        return False
    why = ['%s: %s' % (r[0], r[2]) for r in results if r[1] == 'fail']
    print('RETRIED %s, the second run is judged: the first failed in %s'
          % (suite, '; '.join(why + problems)))
    return True


def main():
    logdir, tests, skips = sys.argv[1:4]
    suites = read_tests(tests)
    known = read_known_skips(skips)
    flakes = read_known_skips(os.path.join(os.path.dirname(skips),
                                           'known-flakes'))
    blocks, header = read_blocks(logdir + '/results.log')
    passed = failed = skipped = retried = 0
    problems = []

    if header:
        print('guest:', header)
    for suite, fmt, retry in suites:
        if suite not in blocks:
            problems.append('%s: no result (guest died or never ran it)'
                            % suite)
            failed += 1
            continue
        results, found = judge_block(suite, fmt, blocks[suite])
        again = suite + '.retry'
        if retry and again in blocks and \
                retry_judged(suite, blocks[suite][1], results, found, flakes):
            retried += 1
            results, found = judge_block(again, fmt, blocks[again])
        problems += found
        for name, status, why in results:
            full = suite + ':' + name
            if status == 'skip':
                reason = [k[2] for k in known if k[0] == suite and
                          fnmatch.fnmatchcase(name, k[1])]
                if reason:
                    skipped += 1
                    print('SKIP %s (%s)' % (full, why))
                    continue
                status, why = 'fail', 'unexpected skip: ' + why
            if status == 'pass':
                passed += 1
                print('PASS', full)
            else:
                failed += 1
                print('FAIL %s%s' % (full, ' (%s)' % why if why else ''))

    if not any(l.startswith('### DONE') for l in
               open(logdir + '/results.log', errors='replace')):
        problems.append('guest did not finish the run')
    with open(logdir + '/console.log', errors='replace') as f:
        splats = [l.rstrip() for l in f if SPLATS.search(l)]
    if splats:
        problems.append('kernel console has %d report line(s), first: %s'
                        % (len(splats), splats[0]))

    for p in problems:
        print('ERROR', p)
    print('%d passed, %d failed, %d skipped, %d retried'
          % (passed, failed, skipped, retried))
    return 1 if failed or problems else 0


if __name__ == '__main__':
    sys.exit(main())
