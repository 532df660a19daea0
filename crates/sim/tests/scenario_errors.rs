//! A bad scenario names the key and the line, and nothing is played.

mod common;

use common::SMALL;

fn err(text: &str) -> zhibo_sim::SimError {
    zhibo_sim::parse(text).expect_err("should be refused")
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle in text") + 1
}

#[test]
fn a_typoed_key_is_named_with_its_line() {
    let text = SMALL.replace("female_share = 0.6", "femail_share = 0.6");
    let e = err(&text);
    assert_eq!(e.line, Some(line_of(&text, "femail_share")));
    assert!(e.message.contains("femail_share"), "{e}");
    assert!(e.to_string().contains("scenario line"), "{e}");
}

#[test]
fn a_negative_audience_is_refused_at_its_line() {
    let text = SMALL.replace("followers = 1000", "followers = -5");
    let e = err(&text);
    assert_eq!(e.key, "audience.followers");
    assert_eq!(e.line, Some(line_of(&text, "followers = -5")));
}

#[test]
fn an_incident_after_the_end_names_the_key_and_line() {
    let text = format!("{SMALL}\n[[incidents]]\nat = \"45:00\"\nkind = \"stream_drop\"\nseconds = 30\n");
    let e = err(&text);
    assert_eq!(e.key, "incidents[0].at");
    assert_eq!(e.line, Some(line_of(&text, "\"45:00\"")));
    assert!(e.message.contains("after the show ends"), "{e}");
}

#[test]
fn other_mistakes_are_named_too() {
    let cases: &[(&str, &str, &str)] = &[
        ("[[actions]]\nat = \"5:00\"\ndo = \"push_card\"\nproduct = \"teaa\"\n", "actions[0].product", "teaa"),
        ("[[actions]]\nat = \"5:00\"\ndo = \"dance\"\n", "actions[0].do", "dance"),
        ("[[actions]]\nat = \"5:00\"\ndo = \"push_card\"\n", "actions[0].product", "missing"),
        ("[[actions]]\nat = \"5:00\"\ndo = \"unpush_card\"\nunits = 3\n", "actions[0].units", "does not apply"),
        ("[[actions]]\nat = \"5 min\"\ndo = \"unpush_card\"\n", "actions[0].at", "15:00"),
        ("[[incidents]]\nat = \"5:00\"\nkind = \"meteor\"\n", "incidents[0].kind", "meteor"),
    ];
    for (extra, key, says) in cases {
        let e = err(&format!("{SMALL}\n{extra}"));
        assert_eq!(e.key, *key, "{e}");
        assert!(e.line.is_some(), "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    let e = err(&SMALL.replace("entry_rate = 0.1", "entry_rate = 1.5"));
    assert_eq!(e.key, "traffic.feed.entry_rate");
    let e = err(&SMALL.replace("list_price_fen = 29900", "list_price_fen = 100"));
    assert_eq!(e.key, "products[0].list_price_fen");
    let e = err(&SMALL.replace("start = \"13:00\"", "start = \"12:00\""));
    assert_eq!(e.key, "segments[2].start");
}

#[test]
fn the_shipped_scenarios_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            zhibo_sim::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 1);
}
