/**
 * `tapwire filter`: shows what a filter means before it is trusted with traffic.
 *
 *   tapwire filter --explain 'vlan 100 and host 10.0.0.1' [--linktype 1]
 *   tapwire filter --rules mirror.json --explain [--linktype 1]
 *   tapwire filter --rules mirror.json --explain-packet -r trace.pcap [-c N]
 *
 * An expression libpcap would reject is reported with a caret under the problem (exit 1).
 */
import fs from 'node:fs';
import { parseCommandLine } from '../args.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { compileFilter, compileRuleSet, FilterSyntaxError, parseRuleSet, SUPPORTED_LINKTYPES } from '../../filter/index.js';
import { openCapture } from '../../formats/index.js';

export const FILTER_HELP = `Usage:
  tapwire filter --explain EXPRESSION [--linktype N]
  tapwire filter --rules FILE --explain [--linktype N]
  tapwire filter --rules FILE --explain-packet -r CAPTURE [-c N]

--explain with an EXPRESSION (tcpdump / pcap-filter syntax) prints the normalised
expression (every qualifier written out, grouping made explicit) and the JavaScript the
filter compiles to. --linktype is a LINKTYPE_* number (default 1, Ethernet; also 0 NULL,
9 PPP, 101 RAW, 104 C_HDLC, 105 IEEE802_11, 108 LOOP, 113 SLL, 127 IEEE802_11_RADIOTAP,
228 IPV4, 229 IPV6, 276 SLL2). On 802.11, 'wlan type data', 'wlan subtype beacon' and
'wlan dir fromds' test the frame control field.

--rules FILE reads an AWS VPC Traffic Mirroring style rule set (JSON):
  {"monitored": ["10.0.0.0/16"],
   "rules": [{"ruleNumber": 100, "direction": "ingress", "action": "accept",
              "protocol": 6, "sourceCidr": "0.0.0.0/0", "destinationCidr": "10.0.0.0/16",
              "destinationPortRange": {"from": 443, "to": 443}}]}
(AWS's own names RuleNumber, TrafficDirection, RuleAction, SourceCidrBlock... also work).
--explain-packet prints, for each packet of CAPTURE, the verdict and the rule that decided.

Examples:
  tapwire filter --explain 'tcp[tcpflags] & tcp-syn != 0 and not src net 10.0.0.0/8'
  tapwire filter --explain 'inbound and port 53' --linktype 113
`;

function linktypeArg(v: string | undefined): number {
  const n = v === undefined ? 1 : Number(v);
  if (!Number.isInteger(n) || !SUPPORTED_LINKTYPES.includes(n)) {
    throw new UsageError(`--linktype: '${v}' is not a supported LINKTYPE_* number (${SUPPORTED_LINKTYPES.join(', ')})`);
  }
  return n;
}

export async function filterCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('filter', argv, {
    explain: { type: 'boolean' },
    'explain-packet': { type: 'boolean' },
    rules: { type: 'string' },
    linktype: { type: 'string' },
    read: { type: 'string', short: 'r' },
    count: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(FILTER_HELP); return ExitCode.ok; }
  const out = (s: string) => process.stdout.write(`${s}\n`);

  if (values.rules !== undefined) {
    let json: unknown;
    try { json = JSON.parse(fs.readFileSync(values.rules, 'utf8')); } catch (e) {
      throw new UsageError(`--rules: cannot read '${values.rules}' as JSON: ${(e as Error).message}`);
    }
    const set = parseRuleSet(json);
    if (values['explain-packet']) {
      if (!values.read) throw new UsageError('--explain-packet needs -r CAPTURE');
      const limit = values.count === undefined ? Infinity : Number(values.count);
      const cap = await openCapture(values.read);
      const compiled = new Map<number, ReturnType<typeof compileRuleSet>>();
      let n = 0;
      // Leaving the loop early closes the capture (the generator's finally).
      for await (const batch of cap.batches()) {
        for (let i = 0; i < batch.count && n < limit; i++, n++) {
          const lt = batch.linktype[i]!;
          let rs = compiled.get(lt);
          if (!rs) { rs = compileRuleSet(set, lt); compiled.set(lt, rs); }
          const d = rs.explain(batch.packet(i), batch.caplen[i], batch.wirelen[i]);
          out(`${batch.number[i]}\t${d.verdict}\t${d.reason}`);
        }
        if (n >= limit) break;
      }
      return ExitCode.ok;
    }
    const rs = compileRuleSet(set, linktypeArg(values.linktype));
    out(`monitored: ${set.monitored.join(', ')}`);
    for (const dir of ['egress', 'ingress'] as const) {
      const rules = set.rules.filter((r) => r.direction === dir).sort((a, b) => a.ruleNumber - b.ruleNumber);
      out(`${dir} (first match wins, then implicit reject):`);
      for (const r of rules) {
        const ports = [r.sourcePortRange && `sport ${r.sourcePortRange.from}-${r.sourcePortRange.to}`, r.destinationPortRange && `dport ${r.destinationPortRange.from}-${r.destinationPortRange.to}`].filter(Boolean).join(' ');
        out(`  ${r.ruleNumber}\t${r.action}\tproto ${r.protocol ?? 'all'}\t${r.sourceCidr} -> ${r.destinationCidr}${ports ? `\t${ports}` : ''}`);
      }
    }
    out('generated code:');
    out(rs.source);
    return ExitCode.ok;
  }

  if (!values.explain) throw new UsageError("give --explain EXPRESSION or --rules FILE. Try 'tapwire filter --help'.");
  const expr = positionals.join(' ');
  const lt = linktypeArg(values.linktype);
  try {
    const f = compileFilter(expr, lt);
    out(`expression: ${expr}`);
    out(`normalised: ${f.normalized || '(empty: accepts every packet)'}`);
    out(`link type:  ${lt}`);
    out('generated code:');
    out(f.source);
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      process.stderr.write(`tapwire: filter rejected\n${e.pointAt(expr)}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
}
