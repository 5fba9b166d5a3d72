-- A stand-in (Plh) set while a step of the role was already open got only future steps: the open
-- one stayed with the absent holder. Now the role's open steps are handed to the stand-in when the
-- period begins and back to the holders when it ends, each once: these mark when it was done.
ALTER TABLE role_holders ADD COLUMN handed_over_at TEXT;
ALTER TABLE role_holders ADD COLUMN handed_back_at TEXT;

-- Periods over before this version have nothing left to hand back.
UPDATE role_holders SET handed_over_at = created_at, handed_back_at = created_at
WHERE kind = 'plh' AND valid_until < date('now');
