#!/usr/bin/env python3
"""Fill a Last Whisper database with a realistic history, fast (not a test).

    scripts/datagen.py DATABASE_URL --items N --attempts M [--seed S] [--replace]
    scripts/datagen.py sqlite:////tmp/growth.db --items 100000 --attempts 1000000
    scripts/datagen.py postgres://postgres@127.0.0.1:55432/lw_growth --items 100000 --attempts 100000

Issue 22 ("fast at any size") needs databases with years of practice in
them; creating that through the API would take hours. So the schema comes
from the service itself (the binary is started once on DATABASE_URL, runs
its embedded migrations, answers /health and is stopped) and the rows are
written with direct SQL: executemany in one transaction on SQLite (stdlib
sqlite3), COPY through the `psql` client on PostgreSQL (no Python driver to
install). The secondary indexes of `items` and `attempts` are dropped for
the load and recreated from their own definitions afterwards, so the schema
is exactly the service's.

What is written, all reproducible from --seed:
  * N items: Finnish-like (most), English-, Swedish- and German-like
    sentences of 5-25 words (a few up to 60) from word lists; difficulty
    1..10 growing with length, NULL for a few; 0-3 tags from a pool of 30
    (also stored as preset tags); tts_status `ready` (a few `failed`) with no
    task (a `pending` item without a task would be marked failed by
    migration 0007); created_at spread over the two years before now.
  * M attempts over the same two years, each after its item was created,
    denser towards now; about 70 % of them on 20 % of the items (and within
    those a few items with hundreds); ids in time order. The text is the
    item's with some words misspelt or left out, and percentage, wer,
    words_ref and words_correct follow the contract's scoring (section 5)
    for that text; percentage_spoken is NULL for the oldest 5 % (scored before it existed).
Timestamps use the service's stored format (src/domain/timestamp.rs `to_db`:
local wall-clock `YYYY-MM-DD HH:MM:SS.ffffff`).

The target must be empty: a SQLite file that does not exist yet (--replace
deletes an existing one), or an empty PostgreSQL database that exists
(`createdb`, or CREATE DATABASE); PostgreSQL needs the `psql` client
(Debian package postgresql-client, installed with the server by
scripts/start-postgres.sh). A column the
script does not know that is NOT NULL without a default (a later migration)
stops it with a message instead of writing rows the service cannot read.

The binary is LW_BIN (or --bin), default target/release/last-whisper of this
repository. Prints one JSON line at the end: counts, the item with the most
attempts, and the seconds taken.
"""

import argparse
import bisect
import datetime as dt
import json
import math
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- vocabulary -------------------------------------------------------------

FI = """minä sinä hän me te he tämä tuo se joka mikä kuka missä milloin miksi
talo talossa taloon kaupunki kaupungissa kaupunkiin koulu koulussa kouluun
kirja kirjan kirjaa kirjasto kirjastossa kauppa kaupassa kauppaan ravintola
ravintolassa kahvila kahvilassa asema asemalla juna junalla bussi bussilla
auto autolla pyörä pyörällä tie tiellä katu kadulla metsä metsässä järvi
järvellä meri merellä ranta rannalla saari saarella mökki mökillä sauna
saunassa keittiö keittiössä olohuone makuuhuone ikkuna ovi pöytä tuoli
sänky lamppu kello puhelin tietokone sanomalehti kirje paketti lahja ystävä
ystävän ystävälle perhe äiti isä sisko veli lapsi lapset mummo vaari naapuri
opettaja oppilas lääkäri sairaanhoitaja myyjä kuljettaja poliisi ihminen
ihmiset nainen mies tyttö poika koira kissa lintu hevonen lehmä kala
aamu aamulla päivä päivällä ilta illalla yö yöllä viikko viikolla kuukausi
vuosi vuonna kevät keväällä kesä kesällä syksy syksyllä talvi talvella
maanantaina tiistaina keskiviikkona torstaina perjantaina lauantaina
sunnuntaina tänään huomenna eilen nyt usein joskus aina harvoin heti pian
myöhään aikaisin vielä jo taas myös mutta ja tai koska kun jos että vaikka
hyvä huono iso pieni uusi vanha kaunis ruma nopea hidas kylmä lämmin kuuma
helppo vaikea pitkä lyhyt tärkeä hauska ihana väsynyt iloinen surullinen
punainen sininen vihreä keltainen valkoinen musta harmaa ruskea
olen olet on olemme olette ovat oli olivat menen menet menee menemme
tulen tulet tulee tulemme asun asut asuu asumme syön syöt syö syömme
juon juot juo juomme luen luet lukee luemme kirjoitan kirjoittaa puhun
puhuu puhumme kuuntelen kuuntelee katson katsoo näen näkee ostan ostaa
myyn myy teen tekee teemme haluan haluaa tarvitsen tarvitsee voin voi
täytyy pitää rakastan rakastaa tiedän tietää ymmärrän ymmärtää muistan
unohdin odotan odottaa autan auttaa soitan soittaa kävelen kävelee juoksen
juoksee uin ui nukun nukkuu herään herää lähden lähtee saavun saapuu
kahvi kahvia tee teetä maito maitoa vesi vettä leipä leipää juusto juustoa
omena omenoita peruna perunoita kala kalaa liha lihaa keitto keittoa
ruoka ruokaa aamiainen lounas päivällinen kakku pullaa suklaata jäätelöä
raha rahaa hinta euroa lippu lipun matka matkalla loma lomalla työ työssä
töihin toimisto toimistossa kokous kokouksessa projekti tehtävä kysymys
vastaus sana sanat lause kieli kieltä suomi suomea ruotsi ruotsia englanti
englantia sää sataa paistaa tuulee lunta vettä pilvinen aurinko kuu tähti
kaikki jokainen moni monta paljon vähän hieman melko hyvin todella aivan
kanssa ilman ennen jälkeen aikana luona lähellä kaukana vieressä takana
edessä alla päällä sisällä ulkona kotona kotiin kotoa tänne sinne täältä""".split()

EN = """i you he she we they it this that the a an my your our their his her
house home city school book library shop store restaurant cafe station
train bus car bike road street forest lake sea beach island cabin kitchen
window door table chair bed lamp clock phone computer newspaper letter
parcel present friend family mother father sister brother child children
grandmother neighbour teacher student doctor nurse driver police person
people woman man girl boy dog cat bird horse fish morning afternoon evening
night week month year spring summer autumn winter monday tuesday wednesday
thursday friday saturday sunday today tomorrow yesterday now often sometimes
always rarely soon late early still already again also but and or because
when if though good bad big small new old beautiful fast slow cold warm hot
easy difficult long short important funny lovely tired happy sad red blue
green yellow white black grey brown am is are was were go goes went come
comes came live lives eat eats drink drinks read reads write writes speak
speaks listen listens watch watches see sees buy buys sell make makes want
wants need needs can could must love loves know knows understand remember
forgot wait waits help helps call calls walk walks run runs swim sleep
sleeps wake leave leaves arrive arrives coffee tea milk water bread cheese
apple potato meat soup food breakfast lunch dinner cake chocolate money
price ticket journey holiday work office meeting project question answer
word sentence language weather rain sun moon star everything every many
much little quite very really with without before after during near far
next behind in on under inside outside there here""".split()

SV = """jag du han hon vi ni de det den en ett min din vår hus hem stad skola
bok bibliotek affär restaurang kafé station tåg buss bil cykel väg gata
skog sjö hav strand ö stuga kök fönster dörr bord stol säng lampa klocka
telefon tidning brev vän familj mamma pappa syster bror barn granne lärare
läkare morgon kväll natt vecka månad år vår sommar höst vinter idag imorgon
igår nu ofta ibland alltid snart sent tidigt redan också men och eller
eftersom när om bra dålig stor liten ny gammal vacker snabb långsam kall
varm lätt svår lång kort viktig rolig trött glad ledsen är var går kommer
bor äter dricker läser skriver talar lyssnar ser köper säljer gör vill
behöver kan måste älskar vet förstår minns väntar hjälper ringer promenerar
springer simmar sover vaknar reser kaffe te mjölk vatten bröd ost äpple
potatis kött soppa mat frukost lunch middag kaka choklad pengar biljett
resa semester arbete kontor möte fråga svar ord mening språk väder regn
sol måne stjärna allt många mycket lite ganska väldigt med utan före efter
nära långt bakom framför inne ute hemma här där""".split()

DE = """ich du er sie wir ihr es das der die ein eine mein dein unser Haus
Stadt Schule Buch Bibliothek Laden Restaurant Bahnhof Zug Bus Auto Fahrrad
Straße Wald See Meer Strand Insel Hütte Küche Fenster Tür Tisch Stuhl Bett
Lampe Uhr Telefon Zeitung Brief Freund Familie Mutter Vater Schwester
Bruder Kind Kinder Nachbar Lehrer Arzt Morgen Abend Nacht Woche Monat Jahr
Frühling Sommer Herbst Winter heute morgen gestern jetzt oft manchmal immer
bald spät früh schon auch aber und oder weil wenn gut schlecht groß klein
neu alt schön schnell langsam kalt warm leicht schwer lang kurz wichtig
lustig müde froh traurig bin bist ist sind war waren gehe geht komme kommt
wohne wohnt esse isst trinke trinkt lese liest schreibe schreibt spreche
spricht höre hört sehe sieht kaufe kauft mache macht will brauche kann muss
liebe weiß verstehe erinnere warte helfe rufe laufe schwimme schlafe reise
Kaffee Tee Milch Wasser Brot Käse Apfel Kartoffel Fleisch Suppe Essen
Frühstück Mittagessen Abendessen Kuchen Schokolade Geld Fahrkarte Reise
Urlaub Arbeit Büro Besprechung Frage Antwort Wort Satz Sprache Wetter Regen
Sonne Mond Stern alles viele viel wenig ziemlich sehr mit ohne vor nach
nahe weit hinter drinnen draußen zu Hause hier dort""".split()

LOCALES = [("fi", FI, 0.82), ("en", EN, 0.10), ("sv", SV, 0.04), ("de", DE, 0.04)]

TAGS = """arki matkailu ruoka työ koulu perhe sää asuminen terveys kauppa
liikenne vapaa-aika urheilu luonto kulttuuri numerot kellonajat verbit
substantiivit adjektiivit kysymykset menneisyys tulevaisuus kohteliaisuus
puhelin ravintola lääkärissä harrastukset juhlat uutiset""".split()

# --- scoring (contract section 5, for text the generator itself made) -------


def score(n_ref, errors, same_length):
    """(percentage, wer, words_correct) as the service computes them."""
    if n_ref == 0:
        return 100, 0.0, 0
    wer_raw = errors / n_ref
    if same_length:
        correct = max(0, int(n_ref * (1.0 - wer_raw)))
    else:
        correct = max(0, n_ref - errors)
    wer = min(1.0, max(0.0, wer_raw))
    pct = min(100, max(0, int((correct / n_ref) * 100.0)))
    return pct, wer, correct


def misspell(rng, word):
    """A different word after the scorer's normalisation (never only a
    diacritic: ä and a are the same to it)."""
    if len(word) > 3:
        i = rng.randrange(1, len(word) - 1)
        if rng.random() < 0.5:
            return word[:i] + word[i + 1:]  # a letter left out
        return word[:i] + word[i] + word[i:]  # a letter doubled
    return word + rng.choice("aeistn")


# --- database access --------------------------------------------------------


def sqlite_path(url):
    """The file of a SQLite URL, read as src/config/database.rs does."""
    rest = url.split(":", 1)[1] if url.startswith("sqlite:") else url.split(":", 2)[2]
    rest = rest.split("?")[0]
    for prefix in ("///", "//"):
        if rest.startswith(prefix):
            return rest[len(prefix):]
    return rest


def is_postgres(url):
    return url.lower().startswith(("postgres://", "postgresql://"))


def psql(url, sql):
    """Run SQL through the psql client; returns its unaligned output."""
    out = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def migrate(url, binary):
    """Start the service once on `url` so it creates the schema, then stop it."""
    if not os.access(binary, os.X_OK):
        sys.exit(f"datagen: no executable service binary at {binary} (set LW_BIN or --bin)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="lw-datagen-") as work:
        env = dict(os.environ, DATABASE_URL=url, AUDIO_DIR=os.path.join(work, "audio"),
                   PORT=str(port), HOST="127.0.0.1", LOG_LEVEL="warn",
                   TTS_MODEL_DIR=os.path.join(work, "no-model"))
        log_path = os.path.join(work, "server.log")
        with open(log_path, "wb") as log:
            # cwd = the empty work dir: no .env of this checkout is read.
            server = subprocess.Popen([binary], env=env, cwd=work, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    sys.exit("datagen: the service stopped while migrating:\n"
                             + open(log_path, encoding="utf-8", errors="replace").read())
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                    break
                except (urllib.error.URLError, OSError):
                    if time.monotonic() > deadline:
                        sys.exit("datagen: the service did not answer /health within 60 s")
                    time.sleep(0.1)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


# Columns this script writes; any other NOT NULL column without a default
# stops it (see check_columns).
ITEM_COLUMNS = ["id", "locale", "text", "difficulty", "tags_json", "tts_status", "task_id",
                "created_at", "updated_at", "spoken_text", "voice"]
ATTEMPT_COLUMNS = ["id", "item_id", "text", "percentage", "wer", "words_ref",
                   "words_correct", "created_at", "percentage_spoken"]
OPTIONAL = {"spoken_text", "voice", "percentage_spoken"}  # added by migration 0002


def check_columns(table, columns, wanted):
    """columns: {name: (notnull, has_default)}. Returns the columns to write."""
    missing = [c for c in wanted if c not in columns and c not in OPTIONAL]
    if missing:
        sys.exit(f"datagen: {table} has no column {', '.join(missing)}: schema changed?")
    unknown = [c for c, (notnull, default) in columns.items()
               if notnull and not default and c not in wanted]
    if unknown:
        sys.exit(f"datagen: {table}.{', '.join(unknown)} is NOT NULL without a default and "
                 "this script does not fill it yet: teach it (a later migration added it)")
    return [c for c in wanted if c in columns]


# --- the data ---------------------------------------------------------------


class History:
    """The generated rows, reproducible from the seed."""

    def __init__(self, n_items, n_attempts, seed, now):
        self.rng = random.Random(seed)
        self.n_items = n_items
        self.n_attempts = n_attempts
        self.now = now
        self.start = now - dt.timedelta(days=730)
        self.span_us = int((now - self.start) / dt.timedelta(microseconds=1))

    def ts(self, offset_us):
        return (self.start + dt.timedelta(microseconds=offset_us)).isoformat(" ", "microseconds")

    def items(self):
        """Yields item rows as dicts; keeps what attempts need."""
        rng = self.rng
        locale_names = [loc for loc, _, _ in LOCALES]
        locale_cum = list(accumulate_weights([w for _, _, w in LOCALES]))
        # Creation times: sorted, so ids follow time as in a real database.
        created = sorted(rng.randrange(0, self.span_us - 3_600_000_000)
                         for _ in range(self.n_items))
        self.item_created = created
        self.item_words = []
        for idx in range(self.n_items):
            loc_i = bisect.bisect(locale_cum, rng.random() * locale_cum[-1])
            locale, vocab = locale_names[loc_i], LOCALES[loc_i][1]
            n = rng.randint(5, 25) if rng.random() < 0.97 else rng.randint(26, 60)
            words = [rng.choice(vocab) for _ in range(n)]
            self.item_words.append(words)
            first = words[0][:1].upper() + words[0][1:]
            body = [first] + words[1:]
            if n > 8 and rng.random() < 0.4:
                k = rng.randrange(2, n - 2)
                body[k] = body[k] + ","
            text = " ".join(body) + rng.choice("....?!")
            if rng.random() < 0.05:
                difficulty = None
            else:
                difficulty = max(1, min(10, round(n / 4 + rng.gauss(0, 1.5))))
            k = rng.choice((0, 1, 1, 2, 2, 3))
            tags = rng.sample(TAGS, k)
            status = "failed" if rng.random() < 0.03 else "ready"
            c = created[idx]
            # TTS finished a few seconds later; some items were edited later.
            updated = c + rng.randint(500_000, 20_000_000)
            if rng.random() < 0.05:
                updated = rng.randrange(updated, self.span_us)
            yield {
                "id": idx + 1, "locale": locale, "text": text, "difficulty": difficulty,
                "tags_json": json.dumps(tags, ensure_ascii=False, separators=(",", ":")),
                "tts_status": status, "task_id": None, "created_at": self.ts(c),
                "updated_at": self.ts(updated), "spoken_text": None, "voice": None,
            }

    def attempts(self):
        """Yields attempt rows as dicts, in time order (ids follow time)."""
        rng = self.rng
        n_items = self.n_items
        hot = rng.sample(range(n_items), max(1, n_items // 5))
        picks = []
        for _ in range(self.n_attempts):
            if rng.random() < 0.7:
                # Skewed within the hot set: a few items get hundreds.
                idx = hot[int(len(hot) * rng.random() ** 1.5)]
            else:
                idx = rng.randrange(n_items)
            c = self.item_created[idx] + 1_000_000
            # Density grows towards now: after its item, sqrt(u) of the way.
            t = c + int((self.span_us - c) * math.sqrt(rng.random()))
            picks.append((t, idx))
        picks.sort()
        self.counts = [0] * n_items
        for _, idx in picks:
            self.counts[idx] += 1
        null_spoken_below = self.n_attempts // 20  # the oldest 5 %
        for n, (t, idx) in enumerate(picks):
            words = self.item_words[idx]
            n_ref = len(words)
            frac = t / self.span_us  # the learner gets better over time
            if rng.random() < 0.005:
                text, errors, same = "", n_ref, False
            else:
                if rng.random() < 0.25:
                    p = 0.0
                else:
                    p = min(0.9, (0.04 + 0.012 * n_ref ** 0.5) * (1.4 - 0.7 * frac)
                            * rng.expovariate(1.0) * 1.6)
                out = []
                errors = 0
                for w in words:
                    if p and rng.random() < p:
                        out.append(misspell(rng, w))
                        errors += 1
                    else:
                        out.append(w)
                same = True
                if n_ref > 4 and rng.random() < 0.08:  # a word left out
                    del out[rng.randrange(n_ref)]
                    errors = min(n_ref, errors + 1)
                    same = False
                if rng.random() < 0.5:
                    out[0] = out[0][:1].upper() + out[0][1:]
                text = " ".join(out) + ("." if rng.random() < 0.4 else "")
            pct, wer, correct = score(n_ref, errors, same)
            spoken = None if n < null_spoken_below else pct
            yield {
                "id": n + 1, "item_id": idx + 1, "text": text, "percentage": pct, "wer": wer,
                "words_ref": n_ref, "words_correct": correct, "created_at": self.ts(t),
                "percentage_spoken": spoken,
            }

    def hot_item(self):
        """(id, attempts) of the item with the most attempts."""
        if not self.n_attempts:
            return 1, 0
        idx = max(range(self.n_items), key=self.counts.__getitem__)
        return idx + 1, self.counts[idx]

    def tags(self):
        for n, name in enumerate(TAGS):
            ts = self.ts(n * 1_000_000)
            yield {"id": n + 1, "name": name, "created_at": ts, "updated_at": ts}


def accumulate_weights(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def rows(dicts, columns):
    return ([d[c] for c in columns] for d in dicts)


# --- SQLite -----------------------------------------------------------------


def load_sqlite(path, history):
    db = sqlite3.connect(path, isolation_level=None)
    for table in ("items", "attempts", "tags"):
        if db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]:
            sys.exit(f"datagen: {path} already has {table}: use an empty database or --replace")

    def columns(table):
        return {r[1]: (bool(r[3]), r[4] is not None or bool(r[5]))
                for r in db.execute(f"PRAGMA table_info({table})")}

    item_cols = check_columns("items", columns("items"), ITEM_COLUMNS)
    attempt_cols = check_columns("attempts", columns("attempts"), ATTEMPT_COLUMNS)
    # The bulk load needs no journal; the service turns WAL back on at start.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("PRAGMA foreign_keys = OFF")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('items', 'attempts')").fetchall()
    db.execute("BEGIN")
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')

    def insert(table, cols, values):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        db.executemany(sql, values)

    insert("tags", ["id", "name", "created_at", "updated_at"],
           rows(history.tags(), ["id", "name", "created_at", "updated_at"]))
    insert("items", item_cols, rows(history.items(), item_cols))
    insert("attempts", attempt_cols, rows(history.attempts(), attempt_cols))
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()


# --- PostgreSQL -------------------------------------------------------------


def copy_value(v):
    if v is None:
        return "\\N"
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    if any(ch in s for ch in "\\\t\n\r"):
        s = (s.replace("\\", "\\\\").replace("\t", "\\t")
             .replace("\n", "\\n").replace("\r", "\\r"))
    return s


def load_postgres(url, history):
    for table in ("items", "attempts", "tags"):
        if psql(url, f"SELECT COUNT(*) FROM {table}") != "0":
            sys.exit(f"datagen: {url} already has {table}: use an empty database")

    def columns(table):
        out = psql(url, "SELECT column_name, is_nullable = 'NO', column_default IS NOT NULL "
                        "FROM information_schema.columns WHERE table_schema = current_schema() "
                        f"AND table_name = '{table}'")
        return {name: (nn == "t", de == "t")
                for name, nn, de in (line.split("|") for line in out.splitlines())}

    item_cols = check_columns("items", columns("items"), ITEM_COLUMNS)
    attempt_cols = check_columns("attempts", columns("attempts"), ATTEMPT_COLUMNS)
    # Secondary indexes only: those behind a constraint (keys, UNIQUE) stay.
    indexes = [line.split("|", 1) for line in psql(
        url, "SELECT i.indexname, i.indexdef FROM pg_indexes i "
             "WHERE i.schemaname = current_schema() AND i.tablename IN ('items', 'attempts') "
             "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    ).splitlines() if line]
    superuser = psql(url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t"
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                            stdin=subprocess.PIPE, text=True, encoding="utf-8")
    out = proc.stdin
    # Foreign keys are checked by triggers; replica mode skips them for the
    # load (the rows are consistent by construction). Needs a superuser.
    out.write("BEGIN;\n")
    if superuser:
        out.write("SET LOCAL session_replication_role = replica;\n")
    for name, _ in indexes:
        out.write(f'DROP INDEX "{name}";\n')

    def copy(table, cols, values):
        out.write(f"COPY {table} ({', '.join(cols)}) FROM STDIN;\n")
        for row in values:
            out.write("\t".join(copy_value(v) for v in row))
            out.write("\n")
        out.write("\\.\n")

    copy("tags", ["id", "name", "created_at", "updated_at"],
         rows(history.tags(), ["id", "name", "created_at", "updated_at"]))
    copy("items", item_cols, rows(history.items(), item_cols))
    copy("attempts", attempt_cols, rows(history.attempts(), attempt_cols))
    for _, sql in indexes:
        out.write(sql + ";\n")
    for table in ("tags", "items", "attempts"):
        out.write(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                  f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false) \\g /dev/null\n")
    out.write("COMMIT;\nANALYZE tags;\nANALYZE items;\nANALYZE attempts;\n")
    out.close()
    if proc.wait() != 0:
        sys.exit("datagen: psql failed")


# --- main -------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("database_url")
    ap.add_argument("--items", type=int, required=True)
    ap.add_argument("--attempts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--bin", default=os.environ.get(
        "LW_BIN", os.path.join(REPO, "target", "release", "last-whisper")))
    ap.add_argument("--replace", action="store_true",
                    help="SQLite: delete an existing database file first")
    ap.add_argument("--now", help="end of the history (local, YYYY-MM-DDTHH:MM:SS); default now")
    args = ap.parse_args()
    if args.items < 1 or args.attempts < 0:
        sys.exit("datagen: --items must be at least 1 and --attempts not negative")
    url = args.database_url
    started = time.monotonic()
    if not is_postgres(url):
        path = sqlite_path(url)
        if args.replace:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    migrate(url, os.path.abspath(args.bin))
    migrated = time.monotonic()
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now()
    history = History(args.items, args.attempts, args.seed, now.replace(microsecond=0))
    if is_postgres(url):
        load_postgres(url, history)
    else:
        load_sqlite(sqlite_path(url), history)
    loaded = time.monotonic()
    hot_item, hot_count = history.hot_item()
    print(json.dumps({
        "database": url if is_postgres(url) else sqlite_path(url),
        "items": args.items, "attempts": args.attempts, "seed": args.seed,
        "now": history.now.isoformat(), "hot_item_id": hot_item, "hot_item_attempts": hot_count,
        "migrate_s": round(migrated - started, 2), "load_s": round(loaded - migrated, 2),
        "total_s": round(loaded - started, 2),
    }))


if __name__ == "__main__":
    main()
