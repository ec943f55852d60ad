//! `sqlx::migrate!` embeds the migration files at compile time; cargo does
//! not know to rebuild when one is added or renamed unless told.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
