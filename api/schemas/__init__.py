"""Request and response models per area; ORM objects never leave the API through anything else."""
