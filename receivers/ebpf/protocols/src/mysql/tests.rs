//! Unit tests of the MySQL parser.
