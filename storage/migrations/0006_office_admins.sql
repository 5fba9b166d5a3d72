-- An office file's `admin: true` made its person an admin of every office in the deployment. An
-- office's admin now manages that office alone (its people, Plh, calendar, group and processes);
-- users.is_admin is kept for the deployment's admins (ADMIN_TELEGRAM_IDS,
-- ADMIN_WHATSAPP_NUMBERS), whom the bot marks from its settings at every start.
CREATE TABLE office_admins (
    office_id  INTEGER NOT NULL REFERENCES offices(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (office_id, user_id)
);

-- Admins who belong to offices were made admins by those offices' files: they keep those
-- offices. A deployment admin among them is marked deployment-wide again when the bot starts.
INSERT INTO office_admins (office_id, user_id, created_at)
SELECT DISTINCT r.office_id, r.user_id, u.updated_at
FROM role_holders AS r
JOIN users AS u ON u.id = r.user_id
WHERE u.is_admin = 1 AND r.kind = 'holder';

UPDATE users SET is_admin = 0 WHERE id IN (SELECT user_id FROM office_admins);
