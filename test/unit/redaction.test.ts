import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { luhnValid, spanishIdValid, verhoeffValid } from '../../core/redaction/checksums.js';
import {
  type EntityType,
  parseRedactionPolicy,
  RedactionInputError,
  type RedactionLanguage,
  redact,
  type SegmentInput,
} from '../../core/redaction/index.js';

/** Redacts one or more segments and returns the redacted texts and, per entity, its type and original text. */
function run(language: RedactionLanguage, texts: string[], entities?: EntityType[]) {
  const segments: SegmentInput[] = texts.map((text) => ({ text }));
  const result = redact(segments, { language, ...(entities ? { entities } : {}) });
  return {
    texts: result.segments.map((s) => s.text),
    found: result.entities.map((e) => ({
      type: e.type,
      said: e.parts.map((p) => texts[p.segment]!.slice(p.start, p.end)).join(' | '),
    })),
    entities: result.entities,
  };
}

const only = (language: RedactionLanguage, text: string) => run(language, [text]).found;

describe('check digits', () => {
  test('Luhn, Verhoeff and the DNI letter accept their textbook examples and reject a changed digit', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(verhoeffValid('2363'), true);
    assert.equal(verhoeffValid('2364'), false);
    assert.equal(spanishIdValid('12345678Z'), true);
    assert.equal(spanishIdValid('12345678A'), false);
    assert.equal(spanishIdValid('X1234567L'), true);
  });
});

describe('cards', () => {
  test('a written card number is replaced by [CARD] in each language, grouped, plain or hyphenated', () => {
    assert.deepEqual(run('en', ['Card number 4111-1111-1111-1111, expires in May.']).texts, [
      'Card number [CARD], expires in May.',
    ]);
    assert.deepEqual(only('es', 'La tarjeta es la 5555555555554444.'), [
      { type: 'card', said: '5555555555554444' },
    ]);
    assert.deepEqual(only('hi', 'मेरा कार्ड नंबर ४१११ ११११ ११११ ११११ है।'), [
      { type: 'card', said: '४१११ ११११ ११११ ११११' },
    ]);
  });

  test('a card read out digit by digit or in pairs is found in English, Spanish and Hindi', () => {
    assert.deepEqual(
      only('en', 'it is four one one one, one one one one, one one one one, one one one one'),
      [{ type: 'card', said: 'four one one one, one one one one, one one one one, one one one one' }],
    );
    assert.deepEqual(only('en', 'forty-one eleven eleven eleven eleven eleven eleven eleven please'), [
      { type: 'card', said: 'forty-one eleven eleven eleven eleven eleven eleven eleven' },
    ]);
    assert.deepEqual(
      only(
        'es',
        'cinco cinco cinco cinco, cinco cinco cinco cinco, cinco cinco cinco cinco, cuatro cuatro cuatro cuatro',
      ),
      [
        {
          type: 'card',
          said: 'cinco cinco cinco cinco, cinco cinco cinco cinco, cinco cinco cinco cinco, cuatro cuatro cuatro cuatro',
        },
      ],
    );
    assert.deepEqual(only('hi', 'नंबर है चार एक एक एक एक एक एक एक एक एक एक एक एक एक एक एक'), [
      { type: 'card', said: 'चार एक एक एक एक एक एक एक एक एक एक एक एक एक एक एक' },
    ]);
    assert.deepEqual(only('hi', 'card number hai char ek ek ek ek ek ek ek ek ek ek ek ek ek ek ek'), [
      { type: 'card', said: 'char ek ek ek ek ek ek ek ek ek ek ek ek ek ek ek' },
    ]);
  });

  test('the security code read after a cue goes too (PCI DSS forbids storing it); an expiry date stays', () => {
    assert.deepEqual(run('en', ['card 4111 1111 1111 1111, expiry 12/27, CVV 123']).texts, [
      'card [CARD], expiry 12/27, CVV [CARD]',
    ]);
    assert.deepEqual(only('es', 'el código de seguridad es cuatro cinco seis'), [
      { type: 'card', said: 'cuatro cinco seis' },
    ]);
    assert.deepEqual(only('en', 'I have 123 reasons to call.'), []);
    // "Social security number" is no security code: its first three digits are not a CVV.
    assert.deepEqual(only('en', 'My social security number is 078, 05 1120.'), [
      { type: 'national_id', said: '078, 05 1120' },
    ]);
  });

  test('numbers that fail Luhn are left alone: a mistyped card, an order number', () => {
    assert.deepEqual(only('en', 'My card is 4111 1111 1111 1112.'), []);
    assert.deepEqual(only('en', 'Your order number is 4716 2231 5567 8890.'), []);
    assert.deepEqual(only('es', 'El pedido 5211 2756 7321 8232 llegó ayer.'), []);
  });

  test('ordinary amounts and quantities are not personal data', () => {
    assert.deepEqual(only('en', 'That comes to four hundred and fifty dollars for the two of you.'), []);
    assert.deepEqual(only('en', 'I paid 1,250.00 pounds on the 3rd, at half past two.'), []);
    assert.deepEqual(only('es', 'Son cuatrocientos cincuenta euros, a pagar en tres meses.'), []);
    assert.deepEqual(only('hi', 'कुल साढ़े चार सौ रुपये हुए, यानी 450 रुपये।'), []);
  });

  test('a card split across two segments is one entity with a part, a span and a time in each', () => {
    const segments = [
      { text: 'my card is 4111 1111', start: 10, end: 12 },
      { text: '1111 1111 thanks', start: 12.5, end: 14.1 },
    ];
    const result = redact(segments, { language: 'en' });
    assert.deepEqual(
      result.segments.map((s) => s.text),
      ['my card is [CARD]', '[CARD] thanks'],
    );
    assert.equal(result.entities.length, 1);
    const [card] = result.entities;
    assert.equal(card!.type, 'card');
    assert.equal(card!.placeholder, '[CARD]');
    // Times are interpolated by character offset within each segment (20 characters over 2 s; 16 over 1.6 s).
    assert.deepEqual(card!.parts, [
      { segment: 0, start: 11, end: 20, time: { start: 11.1, end: 12 } },
      { segment: 1, start: 0, end: 9, time: { start: 12.5, end: 13.4 } },
    ]);
    assert.deepEqual(card!.time, { start: 11.1, end: 13.4 });
    // Fields other than text are kept.
    assert.equal(result.segments[1]!.start, 12.5);
  });

  test('a card spoken across segments is found; a number that ends a sentence is not continued', () => {
    assert.deepEqual(
      run('en', ['the number is four one one one one one one one', 'one one one one one one one one']).found,
      [{ type: 'card', said: 'four one one one one one one one | one one one one one one one one' }],
    );
    assert.deepEqual(run('en', ['It was due on 26 September 2026.', '4111 1111 1111 1111']).found, [
      { type: 'card', said: '4111 1111 1111 1111' },
    ]);
  });
});

describe('IBANs', () => {
  test('a valid IBAN is found grouped, compact or read out; a wrong check digit is not', () => {
    assert.deepEqual(only('en', 'The IBAN is GB29 NWBK 6016 1331 9268 19, thanks.'), [
      { type: 'iban', said: 'GB29 NWBK 6016 1331 9268 19' },
    ]);
    assert.deepEqual(only('es', 'Mi IBAN es ES9121000418450200051332.'), [
      { type: 'iban', said: 'ES9121000418450200051332' },
    ]);
    assert.deepEqual(
      only(
        'es',
        'es E S nueve uno, dos uno cero cero, cero cuatro uno ocho, cuatro cinco cero dos, cero cero cero cinco, uno tres tres dos',
      ),
      [
        {
          type: 'iban',
          said: 'E S nueve uno, dos uno cero cero, cero cuatro uno ocho, cuatro cinco cero dos, cero cero cero cinco, uno tres tres dos',
        },
      ],
    );
    assert.deepEqual(only('hi', 'मेरा IBAN DE89 3704 0044 0532 0130 00 है।'), [
      { type: 'iban', said: 'DE89 3704 0044 0532 0130 00' },
    ]);
    assert.deepEqual(only('en', 'The IBAN is GB28 NWBK 6016 1331 9268 19.'), []);
  });
});

describe('phones', () => {
  test('phone numbers of each language, written, international or spoken', () => {
    assert.deepEqual(only('en', 'Call me on 020 7123 4567 after five.'), [
      { type: 'phone', said: '020 7123 4567' },
    ]);
    assert.deepEqual(only('en', 'my cell is (415) 555-2671'), [{ type: 'phone', said: '(415) 555-2671' }]);
    assert.deepEqual(only('en', 'it is oh seven nine double one, two three four five six seven'), [
      { type: 'phone', said: 'oh seven nine double one, two three four five six seven' },
    ]);
    assert.deepEqual(only('es', 'Mi móvil es el 612 34 56 78.'), [{ type: 'phone', said: '612 34 56 78' }]);
    assert.deepEqual(
      only('es', 'llámeme al más tres cuatro seis uno dos tres cuatro cinco seis siete ocho'),
      [{ type: 'phone', said: 'más tres cuatro seis uno dos tres cuatro cinco seis siete ocho' }],
    );
    assert.deepEqual(only('hi', 'मेरा नंबर +91 98765 43210 है।'), [{ type: 'phone', said: '+91 98765 43210' }]);
    assert.deepEqual(only('hi', 'मेरा नंबर नौ आठ सात छह पांच चार तीन दो एक शून्य है।'), [
      { type: 'phone', said: 'नौ आठ सात छह पांच चार तीन दो एक शून्य' },
    ]);
  });

  test('a reference number is not a phone number, even when its digits would make one', () => {
    assert.deepEqual(only('en', 'Your reference is 4155552671.'), []);
    assert.deepEqual(only('en', 'My date of birth is 12/03/1985.'), [{ type: 'dob', said: '12/03/1985' }]);
  });
});

describe('e-mail addresses', () => {
  test('written, and read out with the words of each language', () => {
    assert.deepEqual(only('en', 'Send it to jane.doe+bills@example.co.uk please'), [
      { type: 'email', said: 'jane.doe+bills@example.co.uk' },
    ]);
    assert.deepEqual(only('en', "it's jane dot doe at example dot com"), [
      { type: 'email', said: 'jane dot doe at example dot com' },
    ]);
    assert.deepEqual(only('es', 'mi correo es pedro guion bajo ruiz arroba correo punto es'), [
      { type: 'email', said: 'pedro guion bajo ruiz arroba correo punto es' },
    ]);
    assert.deepEqual(only('hi', 'ईमेल है sita dot ram at the rate gmail dot com'), [
      { type: 'email', said: 'sita dot ram at the rate gmail dot com' },
    ]);
    assert.deepEqual(only('hi', 'मेरा ईमेल सीता डॉट राम एट जीमेल डॉट कॉम है'), [
      { type: 'email', said: 'सीता डॉट राम एट जीमेल डॉट कॉम' },
    ]);
    assert.deepEqual(only('en', "I'm at home, it's nice at this time of year."), []);
  });
});

describe('dates of birth', () => {
  test('a date announced as a birth date, written or spoken, in each language', () => {
    assert.deepEqual(only('en', 'I was born on the 3rd of May 1980.'), [
      { type: 'dob', said: 'the 3rd of May 1980' },
    ]);
    assert.deepEqual(
      run('en', ['Can you confirm your date of birth?', 'Sure, the third of May, nineteen eighty.']).found,
      [{ type: 'dob', said: 'the third of May, nineteen eighty' }],
    );
    assert.deepEqual(only('es', 'Nací el cinco de junio de mil novecientos setenta y cinco.'), [
      { type: 'dob', said: 'cinco de junio de mil novecientos setenta y cinco' },
    ]);
    assert.deepEqual(only('es', 'Fecha de nacimiento: 05/06/1975.'), [{ type: 'dob', said: '05/06/1975' }]);
    assert.deepEqual(only('hi', 'मेरी जन्मतिथि पांच जून उन्नीस सौ पचहत्तर है।'), [
      { type: 'dob', said: 'पांच जून उन्नीस सौ पचहत्तर' },
    ]);
    assert.deepEqual(only('hi', 'मेरा जन्म ०५/०६/१९७५ को हुआ था।'), [{ type: 'dob', said: '०५/०६/१९७५' }]);
  });

  test('other dates stay: a due date, a payment date, a date after the birth date', () => {
    assert.deepEqual(only('en', 'The payment is due on 5 June 2026.'), []);
    assert.deepEqual(only('es', 'El recibo vence el 4 de octubre.'), []);
    assert.deepEqual(run('en', ['My date of birth is 3 May 1980.', 'I paid on 4 June 2025.']).found, [
      { type: 'dob', said: '3 May 1980' },
    ]);
  });
});

describe('postcodes', () => {
  test('UK, US, Spanish and Indian postcodes', () => {
    assert.deepEqual(only('en', 'My postcode is M1 1AE.'), [{ type: 'postcode', said: 'M1 1AE' }]);
    assert.deepEqual(only('en', 'the postcode is E C one A, one B B'), [
      { type: 'postcode', said: 'E C one A, one B B' },
    ]);
    assert.deepEqual(only('en', 'I live at 12 Elm Street, Springfield, IL 62704.'), [
      { type: 'postcode', said: '62704' },
    ]);
    assert.deepEqual(only('es', 'Código postal 28013, Madrid.'), [{ type: 'postcode', said: '28013' }]);
    assert.deepEqual(only('es', 'el código postal es el cero ocho cero cero uno'), [
      { type: 'postcode', said: 'cero ocho cero cero uno' },
    ]);
    assert.deepEqual(only('hi', 'मेरा पिन कोड 110001 है।'), [{ type: 'postcode', said: '110001' }]);
  });

  test('a bare five-digit amount is not a postcode', () => {
    assert.deepEqual(only('en', 'I paid 25000 last year.'), []);
    assert.deepEqual(only('hi', '25000 रुपये का लोन बाकी है।'), []);
  });
});

describe('national identifiers', () => {
  test('US SSN, UK NI number, Spanish DNI/NIE, Aadhaar and PAN', () => {
    assert.deepEqual(only('en', 'SSN 078-05-1120.'), [{ type: 'national_id', said: '078-05-1120' }]);
    assert.deepEqual(only('en', 'my social is 078 05 1120'), [{ type: 'national_id', said: '078 05 1120' }]);
    assert.deepEqual(only('en', 'My National Insurance number is AB 12 34 56 C.'), [
      { type: 'national_id', said: 'AB 12 34 56 C' },
    ]);
    assert.deepEqual(only('es', 'Mi DNI es 12345678Z.'), [{ type: 'national_id', said: '12345678Z' }]);
    assert.deepEqual(only('es', 'el NIE es equis uno dos tres cuatro cinco seis siete, ele'), [
      { type: 'national_id', said: 'equis uno dos tres cuatro cinco seis siete, ele' },
    ]);
    assert.deepEqual(only('hi', 'मेरा आधार नंबर 2341 2341 2346 है।'), [
      { type: 'national_id', said: '2341 2341 2346' },
    ]);
    assert.deepEqual(only('hi', 'पैन ABCPE1234F है।'), [{ type: 'national_id', said: 'ABCPE1234F' }]);
  });

  test('identifiers whose check fails are left alone', () => {
    assert.deepEqual(only('es', 'Mi DNI es 12345678A.'), []);
    assert.deepEqual(only('hi', 'मेरा आधार नंबर 2341 2341 2347 है।'), []);
    assert.deepEqual(only('en', 'SSN 666-05-1120.'), []);
  });
});

describe('options', () => {
  test('only the entity types asked for are redacted', () => {
    const text = 'Card 4111 1111 1111 1111, email jane@example.com.';
    assert.deepEqual(run('en', [text], ['email']).texts, ['Card 4111 1111 1111 1111, email [EMAIL].']);
    // A card not to be redacted still keeps its digits from being taken for something else.
    assert.deepEqual(run('en', [text], ['phone']).found, []);
  });

  test('segments without times give entities without times', () => {
    const { entities } = run('en', ['jane@example.com']);
    assert.deepEqual(entities[0]!.parts, [{ segment: 0, start: 0, end: 16 }]);
    assert.equal(entities[0]!.time, undefined);
  });

  test('an unsupported language or entity type is an error the caller can answer with a 4xx', () => {
    assert.throws(
      () => redact([{ text: 'x' }], { language: 'fr' as RedactionLanguage }),
      RedactionInputError,
    );
    assert.throws(
      () => redact([{ text: 'x' }], { language: 'en', entities: ['passport' as EntityType] }),
      /unknown entity type passport/,
    );
  });
});

describe('redaction policy', () => {
  test('defaults: every type, every language, original not kept, audio silenced', () => {
    assert.deepEqual(parseRedactionPolicy(undefined), {
      ok: true,
      value: {
        entities: ['card', 'iban', 'phone', 'email', 'dob', 'postcode', 'national_id'],
        languages: ['en', 'es', 'hi'],
        keepOriginal: false,
        audio: 'silence',
      },
    });
  });

  test('a valid policy is normalised (canonical order, no duplicates)', () => {
    assert.deepEqual(
      parseRedactionPolicy({
        entities: ['email', 'card', 'email'],
        languages: ['hi'],
        keepOriginal: true,
        audio: 'beep',
      }),
      {
        ok: true,
        value: { entities: ['card', 'email'], languages: ['hi'], keepOriginal: true, audio: 'beep' },
      },
    );
  });

  test('bad input is answered with a detail naming what is wrong', () => {
    const detail = (input: unknown) => {
      const parsed = parseRedactionPolicy(input);
      assert.equal(parsed.ok, false);
      return parsed.ok ? '' : parsed.detail;
    };
    assert.match(
      detail({ entities: ['card', 'passport'] }),
      /entities: unknown "passport"; supported: card, iban/,
    );
    assert.match(detail({ languages: ['en', 'fr'] }), /languages: unknown "fr"; supported: en, es, hi/);
    assert.match(detail({ languages: [] }), /at least one language/);
    assert.match(detail({ entities: 'card' }), /entities must be a list/);
    assert.match(detail({ keepOriginal: 'yes' }), /keepOriginal must be true or false/);
    assert.match(detail({ audio: 'bleep' }), /audio must be one of silence, beep, none/);
    assert.match(detail({ retention: 30 }), /unknown field\(s\) retention/);
    assert.match(detail([]), /must be an object/);
  });
});
