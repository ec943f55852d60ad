mod treegen;

fn main() {}
