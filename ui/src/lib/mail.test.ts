import { describe, expect, it } from 'vitest';
import { setLang } from './i18n/index.svelte';
import { sendSummary } from './mail';
import type { SendOutcomeDto } from './bindings/SendOutcomeDto';

const none: SendOutcomeDto = { queued: 0, skipped: [], sent: 0, waiting: 0, failed: 0, cancelled: 0, held: 0, stopped: null };

describe('the sentence after a round of sending', () => {
  it('does not claim levels moved when nothing was sent', () => {
    setLang('fr');
    expect(sendSummary(none)).toBe('Aucun e-mail à envoyer maintenant.');
    const held = sendSummary({ ...none, held: 2 });
    expect(held).not.toContain('niveau suivant');
    expect(held).toContain('2 non envoyés');
  });
  it('says what was sent and what waits', () => {
    setLang('fr');
    const text = sendSummary({ ...none, sent: 3, waiting: 1 });
    expect(text).toContain('3 e-mails acceptés');
    expect(text).toContain("1 en attente");
  });
});
