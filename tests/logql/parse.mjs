// Parses LogQL queries with Grafana's own grammar (@grafana/lezer-logql).
// stdin: a JSON array of query strings. stdout: a JSON array, one entry per query, with the
// error nodes found and the names the query relies on: stream selector labels, label filter
// names (structured metadata fields), unwrapped fields and grouping labels.
import { parser } from '@grafana/lezer-logql';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const queries = JSON.parse(Buffer.concat(chunks).toString('utf8'));

function firstChild(node, name) {
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) return c;
  return null;
}

const results = queries.map((query) => {
  const tree = parser.parse(query);
  const out = { query, errors: [], selector_labels: [], filter_fields: [], unwrap_fields: [], grouping_labels: [] };
  const text = (n) => query.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      const node = ref.node;
      if (node.type.isError) out.errors.push({ from: node.from, to: node.to, near: query.slice(Math.max(0, node.from - 15), node.to + 15) });
      const ident = firstChild(node, 'Identifier');
      if (node.name === 'Matcher' && node.parent?.parent?.name === 'Selector' && ident) out.selector_labels.push(text(ident));
      else if (node.name === 'Matcher' && ident) out.filter_fields.push(text(ident));
      else if (node.name === 'UnwrapExpr' && ident) out.unwrap_fields.push(text(ident));
      else if (['NumberFilter', 'DurationFilter', 'BytesFilter'].includes(node.name) && ident) out.filter_fields.push(text(ident));
      else if (node.name === 'Labels') {
        for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === 'Identifier') out.grouping_labels.push(text(c));
      }
    },
  });
  return out;
});
process.stdout.write(JSON.stringify(results));
