#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest run.

parse-results.py LOGDIR TESTS KNOWN_SKIPS

Reads LOGDIR/results.log (the blocks guest/init wrote) and LOGDIR/console.log
(the kernel console).  Prints one line per test and ends with
'N passed, N failed, N skipped'.  Exits non-zero when a test failed, a suite
listed in TESTS left no complete result, a skip is not listed in KNOWN_SKIPS,
or the console holds a kernel splat.
"""

import fnmatch
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')
PLAN = re.compile(r'^\s*1\.\.(\d+)')
SUBTEST = re.compile(r'^(\s*)#\s*Subtest:\s*(\S+)')
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
    """(name, format, retries) of each suite; FORMAT+retry retries once."""
    suites = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                fmt, _, retry = line[2].partition('+')
                suites.append((line[0], fmt, retry == 'retry'))
    return suites


def read_known_skips(path):
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
    results = []
    for line in lines:
        for m in UFFD.finditer(line):
            if m.group(2) == 'done':
                results.append((m.group(1), 'pass', ''))
            elif m.group(3) is not None:
                results.append((m.group(1), 'fail', m.group(3)))
            else:
                results.append((m.group(1), 'skip', m.group(4)))
    started = sum(line.count('Testing ') for line in lines)
    missing = 'started %d, finished %d' % (started, len(results)) \
        if started != len(results) else None
    return results, missing


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
            last = [l.strip() for l in lines if l.strip()][-2:]
            problems.append('%s: exit status %d, its last output: %s'
                            % (suite, rc, ' | '.join(last) or 'none'))
    if missing:
        problems.append('%s: missing results (%s)' % (suite, missing))
    if not results:
        problems.append('%s: no test results' % suite)
    return results, problems


def first_run_failed(suite, results, problems):
    """Say why SUITE's first run failed (its retry is judged instead)."""
    why = problems + ['%s:%s failed (%s)' % (suite, r[0], r[2])
                      for r in results if r[1] == 'fail']
    print('RETRIED %s: the first run failed, the second is judged: %s'
          % (suite, '; '.join(why)))


def main():
    logdir, tests, skips = sys.argv[1:4]
    suites = read_tests(tests)
    known = read_known_skips(skips)
    blocks, header = read_blocks(logdir + '/results.log')
    passed = failed = skipped = 0
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
        if retry and suite + '.retry' in blocks:
            first_run_failed(suite, results, found)
            results, found = judge_block(suite, fmt, blocks[suite + '.retry'])
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
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed or problems else 0


if __name__ == '__main__':
    sys.exit(main())
