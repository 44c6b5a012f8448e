-- Search's words filter (GET /calls/search?q=): MATCH(text) AGAINST (... IN BOOLEAN MODE) needs a FULLTEXT
-- index, which drizzle's schema cannot declare. Custom migration (drizzle-kit generate --custom).
ALTER TABLE `transcript` ADD FULLTEXT INDEX `transcript_text_fulltext` (`text`);
