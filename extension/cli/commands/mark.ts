import { UsageError, defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount } from '../format';
import { parseRowRanges, rowsOfRanges } from '../rows';

export const mark = defineCommand({
  name: 'mark',
  summary: 'Keep or drop rows by hand (manual overrides on top of any sampler), or clear such marks.',
  args: ['<shard>'],
  options: {
    keep: { type: 'string', valueName: 'ROWS', description: 'always keep these rows, e.g. 1,5,10:20 (A:B is A to B-1)' },
    drop: { type: 'string', valueName: 'ROWS', description: 'always drop these rows' },
    clear: { type: 'string', valueName: 'ROWS', description: 'remove the manual mark of these rows' },
  },
  details: 'A mark holds while the row\'s text stays the same. --json prints the rows changed: {"keep", "drop", "clear"}.',
  async run(context) {
    const { args, options, global, print, printJson } = context;
    const actions = (['keep', 'drop', 'clear'] as const).filter((name) => options[name] !== undefined);
    if (actions.length === 0) throw new UsageError('nothing to mark: give --keep ROWS, --drop ROWS or --clear ROWS', mark);
    const opened = await openCuration(args[0], context);
    try {
      // Parse everything before writing anything, so a bad list changes nothing.
      const lists = actions.map((name) => ({ name, rows: rowsOfRanges(parseRowRanges(options[name]!, opened.model.rowCount, `--${name}`, mark)) }));
      const changed = { keep: 0, drop: 0, clear: 0 };
      for (const { name, rows } of lists) changed[name] = opened.model.setOverrides(rows, name === 'clear' ? null : name);
      if (global.json) printJson(changed);
      else for (const { name, rows } of lists) print(`${name}: ${formatCount(changed[name])} of ${formatCount(rows.length)} rows changed`);
    } finally {
      await opened.close();
    }
  },
});
