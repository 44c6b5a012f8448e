#!/usr/bin/env bash
# Regenerates the sample calls in samples/: short agent/customer conversations spoken by espeak-ng (two
# voices), cut to telephone bandwidth with light line noise by sox, encoded by ffmpeg, each with its script
# (<name>.script.json: language, sha256 of the audio, segments with speaker, times and text). The outputs
# are committed; only regenerating needs the Debian packages espeak-ng, sox and ffmpeg.
set -euo pipefail
# Repeatable mode for every sox call (dither and noise seeded): a rerun writes the same bytes and hashes.
export SOX_OPTS=-R
cd "$(dirname "${BASH_SOURCE[0]}")"
for tool in espeak-ng sox soxi ffmpeg node; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y espeak-ng sox ffmpeg" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

GAP=0.25   # seconds of silence between turns
RATE=8000  # telephone sample rate

# call NAME LANGUAGE AGENT_VOICE CUSTOMER_VOICE OUTPUT_EXT FFMPEG_CODEC_ARGS... < "speaker|text" lines
call() {
  local name=$1 lang=$2 agent=$3 customer=$4 ext=$5
  shift 5
  local dir="$work/$name" t=0 i=0 parts=() speaker text voice
  mkdir -p "$dir"
  sox -n -r "$RATE" -c 1 -b 16 "$dir/gap.wav" trim 0 "$GAP"
  : > "$dir/segments.tsv"
  while IFS='|' read -r speaker text; do
    [ -z "$speaker" ] && continue
    voice=$agent; [ "$speaker" = customer ] && voice=$customer
    espeak-ng -v "$voice" -s 195 -w "$dir/raw$i.wav" "$text"
    sox "$dir/raw$i.wav" -r "$RATE" -c 1 -b 16 "$dir/seg$i.wav" vol 0.7
    local d; d=$(soxi -D "$dir/seg$i.wav")
    printf '%s\t%s\t%s\t%s\n' "$speaker" "$t" "$(awk "BEGIN{print $t+$d}")" "$text" >> "$dir/segments.tsv"
    t=$(awk "BEGIN{print $t+$d+$GAP}")
    parts+=("$dir/seg$i.wav" "$dir/gap.wav")
    i=$((i + 1))
  done
  sox "${parts[@]}" "$dir/speech.wav"
  # Telephone band (300-3400 Hz) plus faint line noise; -R makes the noise repeatable.
  sox -R "$dir/speech.wav" "$dir/band.wav" highpass 300 lowpass 3400
  sox -R -n -r "$RATE" -c 1 -b 16 "$dir/noise.wav" synth "$(soxi -D "$dir/band.wav")" pinknoise vol 0.01
  sox -R -m "$dir/band.wav" "$dir/noise.wav" "$dir/call.wav" norm -3
  ffmpeg -hide_banner -loglevel error -nostdin -y -i "$dir/call.wav" -map_metadata -1 -fflags +bitexact \
    -flags:a +bitexact "$@" "$name.$ext"
  node --input-type=module - "$name.$ext" "$lang" "$dir/segments.tsv" "$name.script.json" <<'JS'
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
const [file, language, tsv, out] = process.argv.slice(2);
const round = (x) => Math.round(Number(x) * 100) / 100;
const segments = readFileSync(tsv, 'utf8').trim().split('\n').map((line) => {
  const [speaker, start, end, text] = line.split('\t');
  return { speaker, start: round(start), end: round(end), text };
});
const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
const script = { file, sha256, language, duration: segments.at(-1).end, segments };
writeFileSync(out, `${JSON.stringify(script, null, 2)}\n`);
console.log(`${file}: ${language}, ${script.duration} s, ${segments.length} turns`);
JS
}

call billing-dispute-en en en-gb+f3 en-us+m3 mp3 -ar 16000 -c:a libmp3lame -b:a 32k -id3v2_version 0 <<'EOF'
agent|Thank you for calling Acme Telecom, my name is Priya, how can I help?
customer|Hi, I was charged twice on my last bill.
agent|I am sorry about that. Can you verify your date of birth and postcode?
customer|Twelfth of March, postcode M1 4BT.
agent|May I put you on hold while I check?
agent|Thank you for holding. I have fixed it, the refund is on its way.
agent|This call is recorded. Anything else I can help with?
customer|No, that is all, thanks.
EOF

call late-delivery-en en en-us+m1 en-gb+f2 wav -c:a pcm_s16le <<'EOF'
agent|Yes, hello.
customer|My order has not been delivered, it is a week late.
agent|It says dispatched. I cannot fix that today, you will need to call back later.
customer|That is unacceptable.
agent|Okay, bye.
EOF

call internet-outage-es es es+f3 es-419+m3 opus -c:a libopus -b:a 16k <<'EOF'
agent|Gracias por llamar a Acme Telecom, mi nombre es Lucía, ¿en qué puedo ayudarle?
customer|Mi internet no funciona desde ayer.
agent|Lo siento mucho. ¿Puede verificar su fecha de nacimiento?
customer|El doce de marzo de mil novecientos ochenta.
agent|Hay una avería en su zona. Ya lo he solucionado, reinicie el router.
agent|¿Hay algo más en lo que pueda ayudarle?
customer|No, gracias, adiós.
EOF

call plan-upgrade-hi hi hi+f3 hi+m3 m4a -c:a aac -b:a 32k <<'EOF'
agent|एक्मी टेलीकॉम में कॉल करने के लिए धन्यवाद, मेरा नाम प्रिया है, बताइए?
customer|मुझे अपना प्लान अपग्रेड करना है।
agent|ज़रूर। क्या आप अपनी जन्म तिथि बता सकते हैं?
customer|बारह मार्च।
agent|यह कॉल रिकॉर्ड की जा रही है। मैंने आपका प्लान अपग्रेड कर दिया है।
agent|क्या मैं आपकी और किसी चीज़ में मदद कर सकती हूँ?
customer|नहीं, धन्यवाद।
EOF
ls -l
