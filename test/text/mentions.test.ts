import { describe, expect, it } from 'vitest';
import { neutraliseMentions } from '../../src/text/mentions.js';

const WJ = '\u2060';
const none = { allowedUserIds: new Set<string>() };

/** Anything Slack would turn into a notification. */
const PINGS = /<!(?!date\^)[^>]*>|<@[A-Z0-9]+(?:\|[^>]*)?>|(?<![\w.+-])@(?:channel|here|everyone)\b/i;

describe('neutraliseMentions', () => {
  it.each([
    ['<!channel>', `@${WJ}channel`],
    ['<!here>', `@${WJ}here`],
    ['<!everyone>', `@${WJ}everyone`],
    ['<!here|here>', `@${WJ}here`],
    ['<!channel|@channel>', `@${WJ}channel`],
    ['<!subteam^S0123ABC|@data-team>', `@${WJ}data-team`],
    ['<!subteam^S0123ABC>', `@${WJ}S0123ABC`],
  ])('turns %s into visible text that pings nobody', (input, expected) => {
    const out = neutraliseMentions(`Hey ${input}, results are in.`, none);
    expect(out).toBe(`Hey ${expected}, results are in.`);
    expect(out).not.toMatch(PINGS);
  });

  it('defuses broadcast words typed as plain text, in any case or formatting', () => {
    const out = neutraliseMentions('@here the report is done. *@Channel* (@everyone)\n@here', none);
    expect(out).toBe(`@${WJ}here the report is done. *@${WJ}Channel* (@${WJ}everyone)\n@${WJ}here`);
    expect(out).not.toMatch(PINGS);
  });

  it('cannot be tricked by a broadcast hidden in a label', () => {
    const out = neutraliseMentions('<!channel|see @here> and <@U999|@everyone>', none);
    expect(out).not.toMatch(PINGS);
  });

  it('keeps mentions of allowed users and flattens everybody else', () => {
    const opts = { allowedUserIds: new Set(['U0ASKER']) };
    const out = neutraliseMentions('Thanks <@U0ASKER>! cc <@U0OTHER> and <@W0BOSS|boss>', opts);
    expect(out).toBe(`Thanks <@U0ASKER>! cc @${WJ}U0OTHER and @${WJ}boss`);
  });

  it('leaves e-mail addresses, links, channels, dates and code alone', () => {
    const text = [
      'Mail ops@here.com or team@everyone.io',
      '<https://example.com|the dashboard> in <#C0123|analytics>',
      '<!date^1392734382^{date_short}|Feb 18, 2014>',
      '```python\ndf = df[df.total > 0]\nprint(f"{len(df)} rows")\n```',
    ].join('\n');
    expect(neutraliseMentions(text, none)).toBe(text);
  });
});
