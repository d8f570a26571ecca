//! Lexer and recursive-descent parser.
