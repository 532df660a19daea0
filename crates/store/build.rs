//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the
//! folder's files, but cargo only tracks files that already existed.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
