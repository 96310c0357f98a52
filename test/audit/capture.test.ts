// Payload capture: PII redaction, deterministic sampling by request id, and the captured shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturePayload, checkCapturePolicy, redactText, sampleFraction } from '../../src/audit/index.ts';
import type { Tensor } from '../../src/protocol/types.ts';

test('emails, card-like digit runs, phone numbers and IPv4 addresses are masked; other text stays', () => {
  const text = 'Write to jane.doe+spam@mail.example.co.uk or call +1 (555) 123-4567, card 4111 1111 1111 1111, from 192.168.10.254. Order 42 ships in 3 days.';
  assert.equal(redactText(text), 'Write to [EMAIL] or call [PHONE], card [CARD], from [IPV4]. Order 42 ships in 3 days.');
  assert.equal(redactText('4111-1111-1111-1111'), '[CARD]');
  assert.equal(redactText('call 555 0100 99'), 'call [PHONE]');
  assert.equal(redactText('version 1.2.3 and 2024-05-01'), 'version 1.2.3 and 2024-05-01');
  assert.equal(redactText('a@b.io 10.0.0.1', ['ipv4']), 'a@b.io [IPV4]');
});

test('sampling is a stable function of the request id, near the asked rate', () => {
  assert.equal(sampleFraction('req-1'), sampleFraction('req-1'));
  let taken = 0;
  for (let i = 0; i < 10000; i++) if (sampleFraction(`req-${i}`) < 0.1) taken++;
  assert.ok(taken > 800 && taken < 1200, `${taken} of 10000 sampled at 0.1`);
  const inputs: Tensor[] = [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }];
  for (let i = 0; i < 50; i++) {
    const id = `req-${i}`;
    assert.equal(capturePayload({ capture: true, sampleRate: 0.1 }, id, inputs) !== undefined, sampleFraction(id) < 0.1);
  }
  assert.equal(capturePayload({ capture: false, sampleRate: 1 }, 'r', inputs), undefined);
  assert.equal(capturePayload({ capture: true, sampleRate: 0 }, 'r', inputs), undefined);
  assert.equal(capturePayload(undefined, 'r', inputs), undefined);
});

test('text tensors are kept redacted and cut; numeric tensors only by name, type and shape', () => {
  const inputs: Tensor[] = [
    { name: 'text', datatype: 'BYTES', shape: [2], data: ['mail me at a@b.com', 'x'.repeat(50)] },
    { name: 'features', datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.5, 1]) },
  ];
  assert.deepEqual(capturePayload({ capture: true, sampleRate: 1, redact: ['email'], maxChars: 10 }, 'r', inputs), {
    inputs: [
      { name: 'text', datatype: 'BYTES', shape: [2], text: ['mail me at', 'xxxxxxxxxx'] },
      { name: 'features', datatype: 'FP32', shape: [1, 2] },
    ],
    redacted: ['email'],
  });
  assert.throws(() => checkCapturePolicy({ capture: true, sampleRate: 1.5 }), { code: 'MG_CONFIG_INVALID' });
  assert.throws(() => checkCapturePolicy({ capture: true, sampleRate: 1, redact: ['ssn' as 'email'] }), { code: 'MG_CONFIG_INVALID' });
});
