#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the two guests' migrate_bench output into results and a table.

bench-report.py REPO BENCHDIR

Reads BENCHDIR/{base,series}/results.log (the records migrate_bench wrote,
see its usage()) and console.log, plus the identity of what ran (base
version, kernel releases, sha256 of each .config, QEMU version, KVM or TCG).
Writes into BENCHDIR:
  results.csv   one row per throughput figure (both kernels; the samples
                of all rounds pooled), runs.csv the same per round
  latency.csv   first-folio and total latency against folios per call,
                runs-latency.csv the same per round
  results.json  all of it, with the identity and the timings
  table.md      ratios: series / base, and throughput / memcpy limit
  gbps.png      move_pages GB/s per folio size, base against each setting
  paired.csv    the paired phase (migrate_bench -p): per scenario, setting,
                test and folio size, the median of the ratios setting/plain
                of each two pairs in a row (one of each order), with a
                bootstrap 95% confidence interval
  paired.png    those ratios for move_pages, with their intervals
Prints table.md.  Exits non-zero when a guest did not finish, the program
reported an error, or a kernel console has a splat.
"""

import csv
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys

VARIANTS = ('base', 'series')
TPUT = ('variant', 'config', 'test', 'folio_kb', 'folios_ok', 'mib',
        'samples', 'mean_gbps', 'sd_gbps', 'min_gbps', 'max_gbps')
LAT = ('variant', 'config', 'folio_kb', 'folios', 'batch', 'samples',
       'first_us', 'first_sd_us', 'first_call_us', 'first_call_sd_us',
       'total_us', 'total_sd_us', 'missed', 'poll_us')
PAIRED = ('scenario', 'config', 'test', 'folio_kb', 'pairs', 'blocks',
          'median_ratio', 'ci_low', 'ci_high')
BOOTSTRAP = 4000
SPLATS = re.compile(
    r'(BUG:|WARNING:|Oops|Kernel panic|kernel BUG at|general protection|'
    r'soft lockup|hard LOCKUP|rcu.* detected stall|Bad page state|'
    r'------------\[ cut here \]------------)')


def read(path, default=''):
    try:
        with open(path, errors='replace') as f:
            return f.read().strip()
    except OSError:
        return default


def sha256(path):
    try:
        with open(path, 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def parse_log(path):
    """Records of the migrate_bench block, and whether it ended, and rc."""
    lines, inside, rc, done = [], False, None, False
    for line in read(path).splitlines():
        line = line.rstrip('\r')
        if line.startswith('### BEGIN migrate_bench'):
            inside = True
        elif line.startswith('### END migrate_bench'):
            inside = False
            rc = int(line.split('rc=')[1])
        elif line.startswith('### DONE'):
            done = True
        elif inside:
            lines.append(line)
    return lines, rc, done


def fmt_size(kb):
    kb = int(kb)
    return '%dM' % (kb // 1024) if kb >= 1024 else '%dK' % kb


def main():
    repo, bench = sys.argv[1], sys.argv[2]
    build = os.path.join(repo, 'build')
    meta = {
        'base_version': read(os.path.join(build, 'base-version')),
        'qemu': read_cmd(['qemu-system-x86_64', '--version']).splitlines()[0],
        'accel': 'kvm' if read(os.path.join(build, 'kvm-probe')) == 'ok'
                 else 'tcg (multi-threaded)',
        'machine': '2 vCPUs, 2 NUMA nodes of 1280 MiB (512 MiB of node 1 '
                   'reserved for test_hmm device-coherent memory)',
        'host_cpu': host_cpu(),
        'series_commits': read(os.path.join(bench, 'series-commits'))
        .splitlines(),
        'timings_s': {},
        'kernels': {},
    }
    for line in read(os.path.join(bench, 'timings')).splitlines():
        name, secs = line.split()
        meta['timings_s'][name] = int(secs)

    tput, lat, info, errors, problems = [], [], {}, [], []
    pairs = {}
    for v in VARIANTS:
        out = os.path.join(build, 'out', v + '-bench')
        meta['kernels'][v] = {
            'release': read(os.path.join(out, 'include/config/kernel.release')),
            'config_sha256': sha256(os.path.join(out, '.config')),
        }
        info[v] = []
        runs = sorted((d for d in os.listdir(bench)
                       if re.fullmatch(re.escape(v) + r'(\.\d+)?', d)),
                      key=lambda d: int(d.split('.')[1]) if '.' in d else 1)
        for run, d in enumerate(runs, 1):
            lines, rc, done = parse_log(os.path.join(bench, d,
                                                     'results.log'))
            if rc is None or not done:
                problems.append('%s: the guest did not finish migrate_bench '
                                '(see %s)' % (d, os.path.join(bench, d)))
            elif rc:
                problems.append('%s: migrate_bench exited with %d' % (d, rc))
            splats = [x for x in read(os.path.join(bench, d, 'console.log'))
                      .splitlines() if SPLATS.search(x)]
            if splats:
                problems.append('%s: kernel console: %s' % (d, splats[0]))
            for line in lines:
                f = line.split(',')
                if f[0] == 'tput' and len(f) == 11:
                    tput.append(dict(zip(TPUT, [v] + f[1:]), run=run))
                elif f[0] == 'lat' and len(f) == 14:
                    lat.append(dict(zip(LAT, [v] + f[1:]), run=run))
                elif f[0] == 'pair' and len(f) == 7 and float(f[5]) > 0:
                    # Per boot: each boot starts its pairs plain first
                    pairs.setdefault(tuple(f[1:5]), {}).setdefault(
                        run, []).append(float(f[6]) / float(f[5]))
                elif f[0] == 'error':
                    errors.append('%s: %s' % (d, ','.join(f[1:])))
                elif f[0] in ('info', 'folios', 'vmstat') and run == 1:
                    info[v].append(line)
        if not runs:
            problems.append('%s: no guest run in %s' % (v, bench))
    runs_tput, runs_lat = tput, lat
    tput = pool(tput, TPUT[:4], [('mean_gbps', 'sd_gbps')],
                ('min_gbps', 'max_gbps'))
    lat = pool(lat, LAT[:5], [('first_us', 'first_sd_us'),
                              ('first_call_us', 'first_call_sd_us'),
                              ('total_us', 'total_sd_us')], ())
    meta['guest_info'] = info
    meta['errors'] = errors

    for name, rows, keys in (('results.csv', tput, TPUT),
                             ('latency.csv', lat, LAT),
                             ('runs.csv', runs_tput, TPUT + ('run',)),
                             ('runs-latency.csv', runs_lat, LAT + ('run',))):
        with open(os.path.join(bench, name), 'w', newline='') as f:
            w = csv.DictWriter(f, keys + (('runs',) if 'run' not in keys
                                          else ()))
            w.writeheader()
            w.writerows(rows)
    paired = [paired_row(k, v) for k, v in pairs.items()
              if any(len(r) > 1 for r in v.values())]
    with open(os.path.join(bench, 'paired.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, PAIRED)
        w.writeheader()
        w.writerows(paired)

    with open(os.path.join(bench, 'results.json'), 'w') as f:
        json.dump({'meta': meta, 'throughput': tput, 'latency': lat,
                   'paired': paired,
                   'runs': {'throughput': runs_tput, 'latency': runs_lat}},
                  f, indent=1)

    table = make_table(meta, tput, lat) + paired_table(paired)
    with open(os.path.join(bench, 'table.md'), 'w') as f:
        f.write(table)
    plot(bench, tput)
    plot_paired(bench, paired)
    print(table)
    for e in errors:
        print('ERROR', e)
    for p in problems:
        print('ERROR', p)
    print('results: %s/{results.csv,latency.csv,paired.csv,results.json,'
          'table.md,gbps.png,paired.png}' % bench)
    return 1 if errors or problems else 0


def median_ci(ratios):
    """The median of @ratios and a percentile bootstrap 95% interval."""
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(ratios, k=len(ratios)))
                  for _ in range(BOOTSTRAP))
    return (statistics.median(ratios), meds[int(0.025 * BOOTSTRAP)],
            meds[int(0.975 * BOOTSTRAP) - 1])


def order_balanced(ratios):
    """The geometric mean of each two pairs in a row, one of each order.

    The pairs take turns at which sample comes first.  Under TCG a state
    of the guest can alternate from one move to the next (the second of
    two moves fast, the first slow): the ratios of the pairs then take
    turns too, around the truth, and their median lands on either side.
    The mean of the logs of two pairs in a row cancels that out.  The
    ratios are those of one boot, in the order of its pairs: an odd last
    one is left out."""
    return [(ratios[i] * ratios[i + 1]) ** 0.5
            for i in range(0, len(ratios) - 1, 2)]


def paired_row(key, runs):
    """@runs: the ratios of the pairs of the cell @key, per boot."""
    blocks = [b for r in runs.values() for b in order_balanced(r)]
    med, lo, hi = median_ci(blocks)
    return dict(zip(PAIRED, key + (sum(len(r) for r in runs.values()),
                                   len(blocks), '%.3f' % med, '%.3f' % lo,
                                   '%.3f' % hi)))


def paired_key(r):
    return (r['scenario'] != 'idle', r['test'], r['config'],
            int(r['folio_kb']))


def paired_table(paired):
    if not paired:
        return ''
    out = ['', '## Paired ratios: setting / plain, in the same boot', '',
           'N pairs of moves, the order taking turns, make B blocks of '
           'two pairs in a row, one of each order: the median of the '
           'geometric means of the blocks, with a bootstrap 95% '
           'confidence interval (coarse below some 10 blocks).  "busy": '
           'every CPU but the migrating one runs a CPU-bound process.', '',
           '| scenario | test | setting | folio | N | B | ratio | 95% CI |',
           '|---' * 8 + '|']
    for r in sorted(paired, key=paired_key):
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s-%s |' % (
            r['scenario'], r['test'], r['config'], fmt_size(r['folio_kb']),
            r['pairs'], r['blocks'], r['median_ratio'], r['ci_low'],
            r['ci_high']))
    return '\n'.join(out) + '\n'


def plot_paired(bench, paired):
    rows = [r for r in paired if r['test'] == 'move_pages']
    sizes = sorted({int(r['folio_kb']) for r in rows})
    lines = sorted({(r['scenario'], r['config']) for r in rows})
    if not rows:
        return
    dat = os.path.join(bench, 'paired.dat')
    with open(dat, 'w') as f:
        for sc, cfg in lines:
            f.write('# %s %s\n' % (sc, cfg))
            for r in sorted(rows, key=lambda r: int(r['folio_kb'])):
                if (r['scenario'], r['config']) == (sc, cfg):
                    f.write('%d %s %s %s\n' % (
                        sizes.index(int(r['folio_kb'])), r['median_ratio'],
                        r['ci_low'], r['ci_high']))
            f.write('\n\n')
    plots = ', '.join(
        "'%s' index %d using 1:2:3:4 with yerrorlines title '%s, %s'"
        % (dat, i, sc, cfg) for i, (sc, cfg) in enumerate(lines))
    gnuplot(bench, 'paired', sizes, [
        "set title 'move_pages(): setting / plain, paired in one boot'",
        "set ylabel 'ratio (median, bars: bootstrap 95% CI)'",
        'plot 1 notitle dashtype 2, ' + plots])

def pool(rows, keys, stats, extremes):
    """Merge the rows of several runs that share KEYS: the samples of each
    (mean, sd) pair in STATS are pooled, EXTREMES are (min, max) columns."""
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for group in groups.values():
        r = {k: v for k, v in group[0].items() if k != 'run'}
        r['runs'] = len(group)
        n = [int(g['samples']) for g in group]
        total = sum(n)
        r['samples'] = str(total)
        for m, sd in stats:
            if not total:
                continue
            means = [float(g[m]) for g in group]
            sds = [float(g[sd]) for g in group]
            mean = sum(a * b for a, b in zip(n, means)) / total
            ss = sum((a - 1) * b * b for a, b in zip(n, sds) if a > 1) + \
                sum(a * (b - mean) ** 2 for a, b in zip(n, means))
            r[m] = '%.4f' % mean if m.endswith('gbps') else '%.1f' % mean
            var = ss / (total - 1) if total > 1 else 0
            r[sd] = ('%.4f' if m.endswith('gbps') else '%.1f') % var ** 0.5
        if extremes:
            lo, hi = extremes
            r[lo] = min((g[lo] for g in group), key=float)
            r[hi] = max((g[hi] for g in group), key=float)
        out.append(r)
    return out


def read_cmd(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout
    except OSError:
        return 'unknown\n'


def host_cpu():
    for line in read('/proc/cpuinfo').splitlines():
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return 'unknown'


def columns(tput):
    """(variant, config) pairs in run order: base first."""
    cols = []
    for r in tput:
        key = (r['variant'], r['config'])
        if r['config'] != 'limit' and key not in cols:
            cols.append(key)
    return sorted(cols, key=lambda c: VARIANTS.index(c[0]))


def lookup(tput, variant, config, test, kb=None):
    for r in tput:
        if (r['variant'], r['config'], r['test']) == (variant, config, test) \
                and (kb is None or r['folio_kb'] == kb):
            return r
    return None


def device_thp_ratios(tput, cols):
    """The 2MB device path over the 4K one, per setting of the same boot."""
    out = []
    for c in cols:
        for way in ('to_dev', 'to_sys'):
            small = lookup(tput, *c, 'hmm_private_' + way)
            thp = lookup(tput, *c, 'hmm_private_thp_' + way)
            if not small or not thp or not int(thp['samples']) \
                    or not int(small['samples']):
                continue
            if not out:
                out += ['## Device THP path over the 4K path (same boot)', '',
                        'GB/s of migrate_vma() with whole 2MB THPs over '
                        'GB/s with 4K pages, same kernel and setting: mean '
                        'over mean, and the range min/max to max/min.  '
                        'TCG distorts absolute figures; the ratio is what '
                        'to compare.', '',
                        '| kernel | setting | way | THP GB/s | 4K GB/s | '
                        'ratio | range | whole THPs |',
                        '|---|---|---|---|---|---|---|---|']
            out.append('| %s | %s | %s | %s ± %s | %s ± %s | %s | %s-%s '
                       '| %s |' % (
                           c[0], c[1], way.replace('_', ' '),
                           thp['mean_gbps'], thp['sd_gbps'],
                           small['mean_gbps'], small['sd_gbps'],
                           ratio(thp['mean_gbps'], small['mean_gbps']),
                           ratio(thp['min_gbps'], small['max_gbps']),
                           ratio(thp['max_gbps'], small['min_gbps']),
                           thp['folios_ok']))
    return out + [''] if out else out


def ratio(a, b):
    try:
        return '%.2f' % (float(a) / float(b))
    except (TypeError, ValueError, ZeroDivisionError):
        return '-'


def make_table(meta, tput, lat):
    cols = columns(tput)
    base = ('base', 'plain')
    k = meta['kernels']
    out = ['# Page migration benchmark', '',
           '- base: %s' % meta['base_version'],
           '- kernels: base %s, series %s (bench config; .config sha256 '
           'base %s, series %s)' % (
               k['base']['release'], k['series']['release'],
               (k['base']['config_sha256'] or '?')[:16],
               (k['series']['config_sha256'] or '?')[:16]),
           '- series: base + %d commits (results.json has them)'
           % len(meta['series_commits']),
           '- machine: QEMU %s, %s, %s' % (
               meta['qemu'].replace('QEMU emulator version ', ''),
               meta['accel'], meta['machine']),
           '- rounds: %d boot(s) per kernel, alternating the order; the '
           'samples are pooled' % max([int(r.get('runs', 1)) for r in tput]
                                      or [1]),
           '- TCG distorts absolute figures: only the ratios within this '
           'run mean anything.', '']

    def label(c):
        return '%s %s' % c

    lim = {v: lookup(tput, v, 'limit', 'memcpy_1t') for v in VARIANTS}
    lim2 = {v: lookup(tput, v, 'limit', 'memcpy_2t') for v in VARIANTS}
    out += ['## Copy limit (memcpy of the same size, GB/s)', '',
            '| kernel | 1 thread | 2 threads |', '|---|---|---|']
    for v in VARIANTS:
        if lim[v]:
            out.append('| %s | %s ± %s | %s |' % (
                v, lim[v]['mean_gbps'], lim[v]['sd_gbps'],
                '%s ± %s' % (lim2[v]['mean_gbps'], lim2[v]['sd_gbps'])
                if lim2[v] else '-'))
    out.append('')

    tests = []
    for r in tput:
        if r['config'] != 'limit' and r['test'] not in tests:
            tests.append(r['test'])
    # Tests with one folio size (the device paths) share one table.
    single = [t for t in tests
              if len({r['folio_kb'] for r in tput if r['test'] == t}) == 1]
    for test in [t for t in tests if t not in single] + ['4K pages']:
        if test == '4K pages':
            if not single:
                continue
            rows = [(t, t, lookup(tput, *base, t)) for t in single]
            title = ('migrate_vma() through test_hmm (4K pages; _thp: '
                     'THP-backed, moved in whole 2MB folios)')
        else:
            sizes = sorted({r['folio_kb'] for r in tput
                            if r['test'] == test}, key=int)
            rows = [(fmt_size(kb), test, lookup(tput, *base, test, kb))
                    for kb in sizes]
            title = test
        out += ['## %s: GB/s (mean ± sd), series / base, share of the '
                'memcpy limit' % title, '',
                'Each cell: GB/s, then ×base (series over base plain, same '
                'folio size), then /memcpy (over that kernel\'s one-thread '
                'memcpy).', '']
        out.append('| %s | ' % ('test' if test == '4K pages' else 'folio') +
                   ' | '.join(label(c) for c in cols) + ' |')
        out.append('|---' * (len(cols) + 1) + '|')
        for name, t, b in rows:
            cells = []
            for c in cols:
                r = lookup(tput, *c, t, b and b['folio_kb'])
                if not r or not int(r['samples']):
                    cells.append('-')
                    continue
                cell = '%s ± %s' % (r['mean_gbps'], r['sd_gbps'])
                if c != base:
                    cell += ', ×%s' % ratio(r['mean_gbps'],
                                            b and b['mean_gbps'])
                cell += ', /memcpy %s' % ratio(
                    r['mean_gbps'], lim[c[0]] and lim[c[0]]['mean_gbps'])
                got = r['folios_ok']
                if '/' in got and got.split('/')[0] != got.split('/')[1]:
                    cell += ' (folios %s)' % got
                cells.append(cell)
            out.append('| %s | %s |' % (name, ' | '.join(cells)))
        out.append('')
    out += device_thp_ratios(tput, cols)
    if lat:
        lcols = []
        for r in lat:
            if (r['variant'], r['config']) not in lcols:
                lcols.append((r['variant'], r['config']))
        out += ['## Latency against folios per move_pages() call', '',
                'Microseconds, mean of the repetitions: first (a thread '
                'polling the first page with move_pages(nodes=NULL) sees it '
                'on the target node; only as precise as its polling '
                'period) / first call returned (upper bound for the first '
                'folio) / total (all folios moved).', '',
                '| folio | folios | per call | ' +
                ' | '.join('%s' % label(c) for c in lcols) +
                ' |', '|---' * (len(lcols) + 3) + '|']
        keys = []
        for r in lat:
            key = (r['folio_kb'], r['folios'], r['batch'])
            if key not in keys:
                keys.append(key)
        for key in sorted(keys, key=lambda x: tuple(int(y) for y in x)):
            cells = []
            for c in lcols:
                r = [x for x in lat if (x['variant'], x['config']) == c and
                     (x['folio_kb'], x['folios'], x['batch']) == key]
                cells.append('%s / %s / %s' % (
                    r[0]['first_us'], r[0]['first_call_us'],
                    r[0]['total_us']) if r else '-')
            out.append('| %s | %s | %s | %s |' % (
                fmt_size(key[0]), key[1], key[2], ' | '.join(cells)))
        out.append('')
    fol = []
    for v in VARIANTS:
        for line in meta['guest_info'].get(v, []):
            f = line.split(',')
            if f[0] == 'folios' and len(f) == 6:
                fol.append((v, f[1], f[2], f[3], f[4], f[5]))
    if fol:
        out += ['## Folios obtained (of the expected size, OK/ALL)', '',
                '| kernel | setting | folio | faulted | after the move | '
                'after a second move |', '|---' * 6 + '|']
        for v, cfg, kb, a, b, c in fol:
            out.append('| %s | %s | %s | %s | %s | %s |' % (
                v, cfg, fmt_size(kb), a.split()[-1], b.split()[-1],
                c.split()[-1]))
        out.append('')
    t = meta['timings_s']
    if t:
        out += ['Time: ' + ', '.join('%s %ds' % x for x in t.items()), '']
    return '\n'.join(out)


def plot(bench, tput):
    cols = columns(tput)
    sizes = sorted({int(r['folio_kb']) for r in tput
                    if r['test'] == 'move_pages'})
    if not sizes:
        return
    dat = os.path.join(bench, 'gbps.dat')
    with open(dat, 'w') as f:
        for c in cols:
            f.write('# %s %s\n' % c)
            for kb in sizes:
                r = lookup(tput, *c, 'move_pages', str(kb))
                if r and int(r['samples']):
                    f.write('%d %s %s\n' % (sizes.index(kb), r['mean_gbps'],
                                            r['sd_gbps']))
            f.write('\n\n')
    plots = ', '.join(
        "'%s' index %d using 1:2:3 with yerrorlines title '%s %s'"
        % (dat, i, c[0], c[1]) for i, c in enumerate(cols))
    gnuplot(bench, 'gbps', sizes, [
        "set title 'move_pages() between two NUMA nodes (QEMU TCG: compare "
        "ratios, not absolutes)'",
        "set ylabel 'GB/s (mean, error bar: sd)'", 'set yrange [0:*]',
        'plot ' + plots])


def gnuplot(bench, name, sizes, lines):
    """Plot NAME.png against the folio SIZES with gnuplot LINES."""
    xtics = ', '.join('"%s" %d' % (fmt_size(kb), i)
                      for i, kb in enumerate(sizes))
    script = '\n'.join([
        'set terminal png size 900,560 noenhanced',
        "set output '%s'" % os.path.join(bench, name + '.png'),
        "set xlabel 'folio size'", 'set xtics (%s)' % xtics,
        'set xrange [-0.5:%f]' % (len(sizes) - 0.5),
        'set key top left', 'set grid ytics'] + lines + [''])
    path = os.path.join(bench, name + '.gp')
    with open(path, 'w') as f:
        f.write(script)
    try:
        subprocess.run(['gnuplot', path], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print('plot: gnuplot failed: %s' % e, file=sys.stderr)

if __name__ == '__main__':
    sys.exit(main())
