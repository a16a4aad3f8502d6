"""Schema migrations (sqlite-utils' built-in Migrations), applied at every start.

Never edit a migration that has shipped: add a new one. tests/store/test_migrations.py
upgrades from every older schema version.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kiosk")


@migrations()
def m001_event_log(db: Database) -> None:
    db.execute("""
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            v INTEGER NOT NULL,
            station_id TEXT NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            wall_time TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            signature TEXT NOT NULL
        )""")
    for op in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m002_residents_and_cards(db: Database) -> None:
    db.execute("""
        CREATE TABLE residents (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            birth_date TEXT,
            village TEXT
        )""")
    db.execute("""
        CREATE TABLE cards (
            uid_hash TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            status TEXT NOT NULL DEFAULT 'active'
        )""")


@migrations()
def m003_checkins(db: Database) -> None:
    db.execute("""
        CREATE TABLE checkins (
            id TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            station_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            queue_no INTEGER NOT NULL,
            checked_in_at TEXT NOT NULL,
            UNIQUE (station_id, local_date, resident_id),
            UNIQUE (station_id, local_date, queue_no)
        )""")


@migrations()
def m004_care_plan_items(db: Database) -> None:
    db.execute("""
        CREATE TABLE care_plan_items (
            id TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            plan TEXT NOT NULL,
            title TEXT NOT NULL,
            earliest TEXT NOT NULL,
            due TEXT NOT NULL,
            latest TEXT NOT NULL,
            done_on TEXT,
            declined_on TEXT
        )""")
    db.execute("CREATE INDEX care_plan_items_resident ON care_plan_items (resident_id, due)")


@migrations()
def m005_print_jobs(db: Database) -> None:
    """Durable receipt queue: enqueued with the check-in, printed when the printer can."""
    db.execute("""
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            checkin_id TEXT NOT NULL REFERENCES checkins(id),
            reason TEXT NOT NULL DEFAULT 'checkin',
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_state TEXT,
            printed_at TEXT
        )""")
    db.execute("CREATE INDEX print_jobs_pending ON print_jobs (status, id)")


@migrations()
def m006_technician_workflows(db: Database) -> None:
    """Technicians, signed card records, consent, enrolments, visits and record views."""
    for column in ("phone", "national_id_hash", "consent_version", "consent_at", "registered_at"):
        db.execute(f"ALTER TABLE residents ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX residents_national_id ON residents (national_id_hash) "
               "WHERE national_id_hash IS NOT NULL")
    db.execute("CREATE INDEX residents_village ON residents (village)")
    db.execute("""
        CREATE TABLE technicians (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            pin_salt TEXT NOT NULL,
            failed_pins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1
        )""")
    db.execute("""
        CREATE TABLE issued_cards (
            card_no TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            holder_id TEXT NOT NULL,
            uid_hash TEXT NOT NULL,
            kind TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active'
        )""")
    db.execute("CREATE INDEX issued_cards_holder ON issued_cards (holder_id, status)")
    db.execute("""
        CREATE TABLE enrolments (
            id TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            plan TEXT NOT NULL,
            status TEXT NOT NULL,
            anchors TEXT NOT NULL,
            at TEXT NOT NULL,
            by TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX enrolments_resident ON enrolments (resident_id)")
    for column in ("enrolment_id", "code", "appointment"):
        db.execute(f"ALTER TABLE care_plan_items ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX care_plan_items_open_due ON care_plan_items (due) "
               "WHERE done_on IS NULL AND declined_on IS NULL")
    db.execute("""
        CREATE TABLE visits (
            id TEXT PRIMARY KEY,
            item_id TEXT NOT NULL REFERENCES care_plan_items(id),
            resident_id TEXT NOT NULL REFERENCES residents(id),
            visit_date TEXT NOT NULL,
            outcome TEXT NOT NULL,
            note TEXT NOT NULL,
            next_appointment TEXT,
            logged_by TEXT NOT NULL,
            logged_at TEXT NOT NULL,
            corrects TEXT REFERENCES visits(id)
        )""")
    db.execute("CREATE INDEX visits_resident ON visits (resident_id, visit_date)")
    db.execute("CREATE INDEX visits_corrects ON visits (corrects) WHERE corrects IS NOT NULL")
    db.execute("""
        CREATE TABLE record_views (
            id INTEGER PRIMARY KEY,
            resident_id TEXT NOT NULL,
            technician_id TEXT NOT NULL,
            at TEXT NOT NULL,
            what TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX record_views_resident ON record_views (resident_id, at)")
    db.execute("CREATE INDEX checkins_date ON checkins (local_date)")


@migrations()
def m007_work_list_indexes(db: Database) -> None:
    """Open items by window: the due-now and next-7-days lists and their counts stay fast
    at 300,000 items (bench/scale.py)."""
    open_items = "WHERE done_on IS NULL AND declined_on IS NULL"
    db.execute(f"CREATE INDEX care_plan_items_open_latest ON care_plan_items (latest, earliest) "
               f"{open_items}")
    db.execute(f"CREATE INDEX care_plan_items_open_earliest ON care_plan_items (earliest) "
               f"{open_items}")


@migrations()
def m008_sync_acks(db: Database) -> None:
    """The county's signed acknowledgements: the highest one says what is safe at the county."""
    db.execute("""
        CREATE TABLE sync_acks (
            id INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            county_time TEXT NOT NULL,
            signature TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""")


@migrations()
def m009_roster(db: Database) -> None:
    """The roster feed's cursor and the other stations' public keys (from the county)."""
    db.execute("CREATE TABLE remote_stations (station_id TEXT PRIMARY KEY, public_key TEXT NOT NULL)")


@migrations()
def m010_queue_entries(db: Database) -> None:
    """Issue 16, calling the queue: each check-in's place and state in the day's queue
    (the events queue.* say the same; kiosk.domain.queue.replay rebuilds it from them)."""
    db.execute("""
        CREATE TABLE queue_entries (
            checkin_id TEXT PRIMARY KEY REFERENCES checkins(id),
            local_date TEXT NOT NULL,
            queue_no INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            state TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            room TEXT,
            called_at TEXT,
            started_at TEXT,
            done_at TEXT
        )""")
    db.execute("CREATE INDEX queue_entries_day ON queue_entries (local_date, state)")


@migrations()
def m011_roster_cards_without_uid_hash(db: Database) -> None:
    """Other stations' cards no longer keep the unkeyed UID hash the roster used to carry
    (a short UID falls out of it by brute force); their signed records bind the UID."""
    db.execute("UPDATE issued_cards SET uid_hash = '' WHERE issued_by LIKE 'station:%'")


@migrations()
def m012_event_secrets(db: Database) -> None:
    """The station-only values behind events' commitments (kiosk.domain.disclosure): kept with
    the log, in the same transaction, append-only like it; never pushed to the county."""
    db.execute("""
        CREATE TABLE event_secrets (
            seq INTEGER PRIMARY KEY,
            fields TEXT NOT NULL
        )""")
    for op in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER event_secrets_no_{op.lower()} BEFORE {op} ON event_secrets
            BEGIN SELECT RAISE(ABORT, 'event_secrets is append-only'); END""")


@migrations()
def m013_roster_rules(db: Database) -> None:
    """What the roster rules need (issue 13, finding 7): the other stations that served a
    resident, and which of them registered her (her home station; none: this one)."""
    db.execute("CREATE TABLE roster_served (resident_id TEXT NOT NULL, station_id TEXT NOT NULL, "
               "home INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (resident_id, station_id))")


@migrations()
def m014_station_revocations(db: Database) -> None:
    """When the county revoked another station (issue 13, finding 8): its card records issued
    after that are refused here."""
    db.execute("ALTER TABLE remote_stations ADD COLUMN revoked_at TEXT")


@migrations()
def m015_pin_lockout_escalation(db: Database) -> None:
    """Lockouts in a row, the block after the third, and each PIN's length: PINs set before
    6-digit PINs have none recorded, and kiosk doctor asks for them to be changed."""
    db.execute("ALTER TABLE technicians ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE technicians ADD COLUMN blocked_at TEXT")
    db.execute("ALTER TABLE technicians ADD COLUMN pin_digits INTEGER")


@migrations()
def m016_resident_search_keys(db: Database) -> None:
    """Residents found by characters, full pinyin and initials (issue 15): one row per key,
    searched by prefix on the primary key. The keys are filled at start by
    kiosk.store.search_keys.rebuild (their recipe's version is in meta), not here, so that a
    later recipe or pypinyin release refills them without a new migration."""
    db.execute("""
        CREATE TABLE resident_search_keys (
            key TEXT NOT NULL,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            PRIMARY KEY (key, resident_id)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX resident_search_keys_resident ON resident_search_keys (resident_id)")


@migrations()
def m018_station_successions(db: Database) -> None:
    """Issue 14, a station rebuilt from the county: each key that took over the station's chain
    after a restore, from the seq of its ``station.restored`` event, with the county's signed
    succession. The key of event 1 (``station.initialized``) is the first; the keys before the
    newest still verify the older events and the card records they signed."""
    db.execute("""
        CREATE TABLE station_keys (
            public_key TEXT PRIMARY KEY,
            from_seq INTEGER NOT NULL UNIQUE,
            succession TEXT NOT NULL
        )""")
    # Other stations' keys before their successors (the roster page's "former"): the cards
    # those keys signed stay valid here too.
    db.execute("CREATE TABLE remote_former_keys (station_id TEXT NOT NULL, public_key TEXT NOT "
               "NULL, PRIMARY KEY (station_id, public_key))")


@migrations()
def m019_checkin_time_unconfirmed(db: Database) -> None:
    """Issue 21, the right day without a battery clock: a check-in taken while nothing vouched
    for the station's clock is flagged, with where in its boot it was taken (boot id and
    monotonic time), so it is dated right once the clock is set (``station.clock_set``)."""
    db.execute("ALTER TABLE checkins ADD COLUMN time_unconfirmed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE checkins ADD COLUMN boot_id TEXT")
    db.execute("ALTER TABLE checkins ADD COLUMN mono_ns INTEGER")
    db.execute("CREATE INDEX checkins_time_unconfirmed ON checkins (boot_id) "
               "WHERE time_unconfirmed = 1")


@migrations()
def m020_home_stations(db: Database) -> None:
    """Issue 24, a station holds its own residents only: where the others it holds live
    (``homes``: '' when the roster never said), visitors it looked up and keeps for a while,
    offline visitor check-ins waiting for their link, the numbers of other residents' revoked
    cards, where her card was seen at other stations (the roster rules' evidence), and the
    trust a revoked station keeps. The next roster pull forgets the residents of other
    stations that were never served here (kiosk.store.visitors.purge, then VACUUM)."""
    db.execute("CREATE TABLE homes (resident_id TEXT PRIMARY KEY, station_id TEXT NOT NULL)")
    db.execute("CREATE TABLE visitors (resident_id TEXT PRIMARY KEY, last_tap TEXT NOT NULL, "
               "looked_up_on TEXT)")
    db.execute("CREATE TABLE visitor_cards (card_no TEXT PRIMARY KEY, issuer TEXT NOT NULL, "
               "record TEXT NOT NULL, tap_seq INTEGER NOT NULL, first_tap TEXT NOT NULL, "
               "refused TEXT)")
    db.execute("CREATE TABLE revoked_cards (card_no TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("CREATE TABLE presence (resident_id TEXT NOT NULL, station_id TEXT NOT NULL, "
               "seq INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (resident_id, station_id))")
    db.execute("ALTER TABLE issued_cards ADD COLUMN roster_seq INTEGER")
    db.execute("ALTER TABLE remote_stations ADD COLUMN trusted_seq INTEGER")
    own = ("SELECT COALESCE(json_extract(payload, '$.id'), json_extract(payload, '$.resident_id')) "
           "FROM events WHERE type = 'resident.registered'")
    db.execute(f"""INSERT INTO homes SELECT r.id, COALESCE((SELECT s.station_id FROM roster_served s
                   WHERE s.resident_id = r.id AND s.home = 1), '') FROM residents r
                   WHERE r.id NOT IN ({own})""")
    db.execute("INSERT INTO revoked_cards SELECT card_no FROM issued_cards WHERE status = "
               "'revoked' AND issued_by LIKE 'station:%'")
    db.execute("INSERT INTO visitors (resident_id, last_tap) SELECT c.resident_id, "
               "MAX(c.local_date) FROM checkins c JOIN homes h ON h.resident_id = c.resident_id "
               "GROUP BY c.resident_id")
    db.execute("INSERT INTO meta VALUES ('vacuum_after_purge', '1') ON CONFLICT(key) DO NOTHING")
