// What a person is shown about a credential whose signature verified: verifier/display.py.
import { get, isObject, isString } from "./verify-format.mjs";
import { typesOf } from "./verify-checks.mjs";

const MAX_TEXT = 500;

export function displayText(value) {
  if (isString(value)) return value.slice(0, MAX_TEXT) || null;
  if (isObject(value)) return displayText(get(value, "@value"));
  if (Array.isArray(value)) {
    const parts = value.map(displayText).filter(Boolean);
    return parts.join(" / ").slice(0, MAX_TEXT) || null;
  }
  return null;
}

function identity(subject, identityTypes) {
  const identifiers = get(subject, "identifier");
  if (!Array.isArray(identifiers)) return null;
  for (const item of identifiers) {
    if (isObject(item) && identityTypes.includes(get(item, "identityType")) && get(item, "hashed") === false) {
      return displayText(get(item, "identityHash"));
    }
  }
  return null;
}

const object = (value) => (isObject(value) ? value : {});

export function extractDisplay(payload, keyId) {
  const issuer = get(payload, "issuer");
  const issuerObject = object(issuer);
  const subjectValue = get(payload, "credentialSubject");
  const subject = object(Array.isArray(subjectValue) && subjectValue.length ? subjectValue[0] : subjectValue);
  const achievement = object(get(subject, "achievement"));
  const source = object(get(subject, "source"));
  const criteria = object(get(achievement, "criteria"));
  return {
    credential_id: displayText(get(payload, "id")),
    credential_name: displayText(get(payload, "name")),
    credential_types: typesOf(get(payload, "type")).slice(0, 10),
    issuer_id: displayText(isObject(issuer) ? get(issuerObject, "id") : issuer),
    issuer_name: displayText(get(issuerObject, "name")),
    holder_id: displayText(get(subject, "id")),
    holder_name: identity(subject, ["name"]) || displayText(get(subject, "name")),
    employee_number: identity(subject, ["identifier", "employeeId", "studentId"]),
    achievement_id: displayText(get(achievement, "id")),
    achievement_name: displayText(get(achievement, "name")),
    achievement_code: displayText(get(achievement, "humanCode")),
    achievement_type: displayText(get(achievement, "achievementType")),
    achievement_description: displayText(get(achievement, "description")),
    criteria_narrative: displayText(get(criteria, "narrative")),
    criteria_url: displayText(get(criteria, "id")),
    unit_id: displayText(get(source, "id")),
    unit_name: displayText(get(source, "name")),
    valid_from: displayText(get(payload, "validFrom")),
    valid_until: displayText(get(payload, "validUntil")),
    awarded_date: displayText(get(payload, "awardedDate")),
    exam_date: displayText(get(subject, "activityEndDate")),
    key_id: keyId,
  };
}
