#!/usr/bin/env bash
# Generates the speech-quality eval set: one short contact-centre call per language (agent and customer
# spoken by two espeak-ng voices), each in three variants (clean 16 kHz; telephone 8 kHz G.711 band
# 300-3400 Hz with line noise at 20 dB SNR; the same at 10 dB SNR), with a script per language
# (<lang>.script.json: text, speaker and times of each turn, the variants' files and hashes) and a
# manifest.json naming the generator's hash. The audio is not committed: it is made in a few seconds and
# is only byte-identical for the same espeak-ng and sox builds.
# Usage: eval/generate.sh [OUT_DIR] [LANG...]   (default: $COFI_DATA_DIR/eval/set, every language)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../ops/lib.sh"
# Repeatable mode for every sox call (dither and noise seeded): a rerun writes the same bytes and hashes.
export SOX_OPTS=-R
export LC_ALL=C.UTF-8

out=$(realpath -m "${1:-$COFI_DATA_DIR/eval/set}")
shift $(($# > 0 ? 1 : 0))
only=("$@")
ensure_apt espeak-ng espeak-ng
ensure_apt sox sox
ensure_apt soxi sox
command -v node >/dev/null || die "node is missing: install Node.js (see README)"

generator=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Written beside the final directory and moved into place at the end: a half-made set is never taken.
build="$out.partial.$$"
rm -rf "$build"
mkdir -p "$build"
trap 'rm -rf "$work" "$build"' EXIT

GAP=0.3      # seconds of silence between turns
SPEED=170    # espeak-ng words per minute
PHONE_SNR=20 # dB, telephone variant
NOISY_SNR=10 # dB, noisy variant
languages=()

rms() { sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'; }

# phone_variant SPEECH_16K OUT_WAV SNR_DB: telephone band at 8 kHz, pink line noise at SNR_DB (speech RMS over
# the whole clip, pauses included, against the band-limited noise's RMS), encoded as 8-bit mu-law (G.711).
phone_variant() {
  local speech=$1 dest=$2 snr=$3 dir; dir=$(mktemp -d -p "$work")
  sox "$speech" -r 8000 "$dir/band.wav" highpass 300 lowpass 3400
  sox -n -r 8000 -c 1 -b 16 "$dir/noise.wav" synth "$(soxi -D "$dir/band.wav")" pinknoise vol 0.3 \
    highpass 300 lowpass 3400
  local gain
  gain=$(awk -v s="$(rms "$dir/band.wav")" -v n="$(rms "$dir/noise.wav")" -v snr="$snr" \
    'BEGIN { printf "%.6f", s / (n * 10 ^ (snr / 20)) }')
  # Both inputs at the same weight keep the SNR; norm then sets the level without clipping.
  sox -m -v 0.5 "$dir/band.wav" -v "$(awk -v g="$gain" 'BEGIN { print g / 2 }')" "$dir/noise.wav" \
    -r 8000 -c 1 -e mu-law -b 8 "$dest" norm -3
}

# call LANG AGENT_VOICE CUSTOMER_VOICE < "speaker|text" lines
call() {
  local lang=$1 agent=$2 customer=$3
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $lang " ]]; then cat >/dev/null; return; fi
  local dir="$work/$lang" t=0 i=0 parts=() speaker text voice d
  mkdir -p "$dir"
  sox -n -r 16000 -c 1 -b 16 "$dir/gap.wav" trim 0 "$GAP"
  : >"$dir/segments.tsv"
  while IFS='|' read -r speaker text; do
    [ -z "$speaker" ] && continue
    voice=$agent
    [ "$speaker" = customer ] && voice=$customer
    espeak-ng -v "$voice" -s "$SPEED" -w "$dir/raw$i.wav" "$text"
    sox "$dir/raw$i.wav" -r 16000 -c 1 -b 16 "$dir/seg$i.wav" vol 0.8
    d=$(soxi -D "$dir/seg$i.wav")
    printf '%s\t%s\t%s\t%s\n' "$speaker" "$t" "$(awk "BEGIN { print $t + $d }")" "$text" >>"$dir/segments.tsv"
    t=$(awk "BEGIN { print $t + $d + $GAP }")
    parts+=("$dir/seg$i.wav" "$dir/gap.wav")
    i=$((i + 1))
  done
  unset 'parts[-1]'
  sox "${parts[@]}" "$build/$lang-clean.wav"
  phone_variant "$build/$lang-clean.wav" "$build/$lang-phone.wav" "$PHONE_SNR"
  phone_variant "$build/$lang-clean.wav" "$build/$lang-noisy.wav" "$NOISY_SNR"
  node --input-type=module - "$build" "$lang" "$agent" "$customer" "$dir/segments.tsv" "$PHONE_SNR" "$NOISY_SNR" <<'JS'
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const [dir, language, agent, customer, tsv, phoneSnr, noisySnr] = process.argv.slice(2);
const round = (x) => Math.round(Number(x) * 100) / 100;
const segments = readFileSync(tsv, 'utf8').trim().split('\n').map((line) => {
  const [speaker, start, end, text] = line.split('\t');
  return { speaker, start: round(start), end: round(end), text };
});
const variant = (name, sampleRate, encoding, snrDb) => {
  const file = `${language}-${name}.wav`;
  const sha256 = createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex');
  return { file, sha256, sampleRate, encoding, band: sampleRate === 8000 ? [300, 3400] : null, snrDb };
};
const script = {
  language,
  voices: { agent, customer },
  duration: segments.at(-1).end,
  segments,
  variants: {
    clean: variant('clean', 16000, 'pcm_s16le', null),
    phone: variant('phone', 8000, 'mu-law', Number(phoneSnr)),
    noisy: variant('noisy', 8000, 'mu-law', Number(noisySnr)),
  },
};
writeFileSync(path.join(dir, `${language}.script.json`), `${JSON.stringify(script, null, 2)}\n`);
JS
  languages+=("$lang")
  say "eval set: $lang, $(awk "BEGIN { print $t - $GAP }") s, $i turns, 3 variants"
}

# The same bank-card call in every language. Portuguese is left out: Whisper base hears espeak-ng's pt and
# pt-br voices as Latin, Thai or Khmer (confidence < 0.4), so a pt sample would measure the synthesiser.
call en en-gb+m3 en-us+f3 <<'EOF'
agent|Good morning, you are through to customer support, my name is Daniel. How can I help you today?
customer|Hello, my bank card was blocked this morning and I cannot pay for anything.
agent|I am sorry to hear that. Could you confirm your full name and the first line of your address?
customer|Yes, it is Sarah Collins, and I live on Mill Road.
agent|Thank you. I can see a security block after a payment abroad. I have removed it now, and the card will work in a few minutes.
customer|That is great, thank you for your help.
EOF

call es es+m3 es-419+f3 <<'EOF'
agent|Buenos días, le atiende el servicio de atención al cliente, me llamo Daniel. ¿En qué puedo ayudarle?
customer|Hola, esta mañana me han bloqueado la tarjeta del banco y no puedo pagar nada.
agent|Lamento oír eso. ¿Puede confirmarme su nombre completo y su dirección?
customer|Sí, me llamo Sara Martín y vivo en la calle del Molino.
agent|Gracias. Veo un bloqueo de seguridad después de un pago en el extranjero. Ya lo he quitado, y la tarjeta funcionará en unos minutos.
customer|Perfecto, muchas gracias por su ayuda.
EOF

call hi hi+m3 hi+f3 <<'EOF'
agent|नमस्ते, आप ग्राहक सेवा से बात कर रहे हैं, मेरा नाम डेनियल है। मैं आपकी क्या मदद कर सकता हूँ?
customer|नमस्ते, आज सुबह मेरा बैंक कार्ड बंद कर दिया गया और मैं कुछ भी भुगतान नहीं कर पा रही हूँ।
agent|यह सुनकर मुझे खेद है। क्या आप अपना पूरा नाम और पता बता सकती हैं?
customer|जी हाँ, मेरा नाम सीमा शर्मा है और मैं मिल रोड पर रहती हूँ।
agent|धन्यवाद। विदेश में एक भुगतान के बाद सुरक्षा के लिए कार्ड रोका गया था। मैंने रोक हटा दी है, कार्ड कुछ मिनटों में चलने लगेगा।
customer|बहुत अच्छा, आपकी मदद के लिए धन्यवाद।
EOF

call fr fr-fr+m3 fr-be+f3 <<'EOF'
agent|Bonjour, vous êtes bien au service client, je m'appelle Daniel. Comment puis-je vous aider ?
customer|Bonjour, ma carte bancaire a été bloquée ce matin et je ne peux plus rien payer.
agent|Je suis désolé de l'apprendre. Pouvez-vous me confirmer votre nom complet et votre adresse ?
customer|Oui, je m'appelle Sophie Martin et j'habite rue du Moulin.
agent|Merci. Je vois un blocage de sécurité après un paiement à l'étranger. Je l'ai retiré, et la carte fonctionnera dans quelques minutes.
customer|Parfait, merci beaucoup pour votre aide.
EOF

call de de+m3 de+f2 <<'EOF'
agent|Guten Morgen, Sie sind mit dem Kundenservice verbunden, mein Name ist Daniel. Wie kann ich Ihnen helfen?
customer|Hallo, meine Bankkarte wurde heute Morgen gesperrt und ich kann nichts mehr bezahlen.
agent|Das tut mir leid. Können Sie mir bitte Ihren vollständigen Namen und Ihre Adresse nennen?
customer|Ja, ich heiße Sabine Müller und wohne in der Mühlenstraße.
agent|Danke. Ich sehe eine Sicherheitssperre nach einer Zahlung im Ausland. Ich habe sie jetzt aufgehoben, und die Karte funktioniert in wenigen Minuten wieder.
customer|Sehr gut, vielen Dank für Ihre Hilfe.
EOF

call it it+m3 it+f3 <<'EOF'
agent|Buongiorno, è in linea con il servizio clienti, mi chiamo Daniele. Come posso aiutarla?
customer|Salve, questa mattina mi hanno bloccato la carta della banca e non riesco a pagare niente.
agent|Mi dispiace. Può confermarmi il suo nome completo e il suo indirizzo?
customer|Sì, mi chiamo Giulia Rossi e abito in via del Mulino.
agent|Grazie. Vedo un blocco di sicurezza dopo un pagamento all'estero. L'ho tolto adesso, e la carta funzionerà tra pochi minuti.
customer|Perfetto, grazie mille per l'aiuto.
EOF

[ ${#languages[@]} -gt 0 ] || die "no language of the set matches: ${only[*]}"
node --input-type=module - "$build/manifest.json" "$generator" "${languages[@]}" <<'JS'
import { writeFileSync } from 'node:fs';
const [file, generator, ...languages] = process.argv.slice(2);
const manifest = { generator, variants: ['clean', 'phone', 'noisy'], languages };
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
JS
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$build" "$out"
say "eval set written to $out (${languages[*]})"
