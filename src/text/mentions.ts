/**
 * Model output must never ping anybody. Slack turns `<!here>`-style commands, `<@U…>` user
 * references and (with link parsing) plain `@here` words into notifications; all of them are
 * rewritten to visible text with a WORD JOINER after the `@`, which renders identically but
 * no longer matches Slack's mention syntax.
 */
const WJ = '\u2060';

/** Special commands that do not notify anyone and are kept (`<!date^…|fallback>`). */
const HARMLESS_COMMANDS = new Set(['date']);

export function neutraliseMentions(text: string, opts: { allowedUserIds: ReadonlySet<string> }): string {
  return (
    text
      // <!here>, <!channel|@channel>, <!subteam^S123|@team>, <!subteam^S123>, …
      .replace(
        /<!([^>|^]*)(?:\^([^>|]*))?(?:\|([^>]*))?>/g,
        (match, command: string, arg?: string, label?: string) => {
          if (HARMLESS_COMMANDS.has(command)) return match;
          return at(label || (command === 'subteam' && arg) || command);
        },
      )
      // <@U123>, <@W123|name>: only explicitly allowed users may be mentioned.
      .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (match, id: string, label?: string) =>
        opts.allowedUserIds.has(id) ? match : at(label || id),
      )
      // Plain words; the lookbehind leaves e-mail addresses like ops@here.com alone.
      .replace(/(?<![\w.+-])@(channel|here|everyone)\b/gi, (_match, word: string) => at(word))
  );
}

function at(name: string): string {
  return `@${WJ}${name.replace(/^@/, '')}`;
}
