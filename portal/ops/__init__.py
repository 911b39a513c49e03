"""Operations staff publish incidents (outages, low pressure, delays) for a service and an area."""
